"""From a fetched page to an article: text and metadata (trafilatura), language, the feed and page
values merged."""
