"""What newsmon makes of stored articles: relevance, copies, credit and stories."""
