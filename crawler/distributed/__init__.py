"""The distributed crawl: workers share a Redis queue, one writer stores their results."""
