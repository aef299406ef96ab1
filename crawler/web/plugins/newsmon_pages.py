"""The file Datasette's ``--plugins-dir`` loads: newsmon's hooks live in crawler.web.plugin, an
importable module (tests and tools use it too), and are only re-exported here."""

from crawler.web.plugin import (
    menu_links,
    prepare_jinja2_environment,
    register_routes,
    render_cell,
    startup,
)

__all__ = [
    "menu_links",
    "prepare_jinja2_environment",
    "register_routes",
    "render_cell",
    "startup",
]
