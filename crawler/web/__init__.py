"""newsmon's web pages, on Datasette: a plugin (routes and hooks), the data each page shows,
the attention chart, and the templates. ``crawler.commands.serve`` starts Datasette with them."""
