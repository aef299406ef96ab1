"""newsmon's pages as a Datasette plugin: routes for the home page, a story's full coverage,
search and feed health (each with a ``.json`` twin), a story's spread picture, links from
Datasette's own tables to story pages, and the pages in Datasette's navigation menu.

Everything runs inside Datasette through its documented hooks (``register_routes``,
``render_cell``, ``menu_links``, ``prepare_jinja2_environment``, ``startup``), reads on
Datasette's read-only connections and renders Datasette's templates, so the tables, SQL and
canned queries stay one click away and nothing here can write.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from crawler.commands import output
from crawler.web import chart, data
from storage import Store

T = TypeVar("T")

# PNG pictures kept in memory, keyed by what changes when a story grows
PICTURE_CACHE_SIZE = 64
_pictures: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
# matplotlib's pyplot state is global: one picture at a time
_plot_lock = threading.Lock()
MIN_OUTLET_CHOICES = (1, 2, 5)


async def _read(datasette: Any, fn: Callable[[Store], T]) -> T:
    """Run ``fn`` on a Store over one of Datasette's read-only connections (in its SQL
    thread pool, so a slow query never blocks the server)."""
    database = datasette.get_database()
    return await database.execute_fn(lambda conn: fn(Store.over(conn)))


async def _page(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    database = datasette.get_database()
    context = {**context, "database": database.name, "newsmon_page": template}
    html = await datasette.render_template(
        [f"newsmon/{template}.html"], context, request=request, view_name=f"newsmon-{template}"
    )
    return Response.html(html, status=status)


def _json(body: Any, status: int = 200) -> Response:
    return Response.json(body, status=status, default=str)


def _int_arg(request: Any, name: str, default: int) -> int:
    try:
        return max(int(request.args.get(name, default)), 1)
    except ValueError:
        return default


async def home_page(datasette: Any, request: Any) -> Response:
    min_outlets = _int_arg(request, "min_outlets", 1)
    result = await _read(datasette, lambda store: data.home(store, min_outlets=min_outlets))
    result["chart"] = Markup(chart.svg(result["attention"]))
    result["min_outlet_choices"] = MIN_OUTLET_CHOICES
    return await _page(datasette, request, "home", result)


async def _story(datasette: Any, request: Any) -> dict[str, Any]:
    story_id = int(request.url_vars["id"])
    result = await _read(datasette, lambda store: data.story(store, story_id))
    if result is None:
        raise NotFound(f"no story {story_id}")
    return result


async def story_page(datasette: Any, request: Any) -> Response:
    return await _page(datasette, request, "story", await _story(datasette, request))


async def story_json(datasette: Any, request: Any) -> Response:
    return _json((await _story(datasette, request))["document"])


def _draw(story: dict[str, Any], articles: list[dict[str, Any]]) -> bytes:
    """The figure of ``newsmon story ID --plot``, as PNG bytes."""
    from crawler.commands.plot import plot_story

    with _plot_lock, tempfile.TemporaryDirectory(prefix="newsmon-plot-") as tmp:
        path = os.path.join(tmp, "story.png")
        plot_story(story, articles, path)
        with open(path, "rb") as handle:
            return handle.read()


async def story_picture(datasette: Any, request: Any) -> Response:
    story_id = int(request.url_vars["id"])

    def fetch(store: Store) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        row = store.story(story_id)
        return None if row is None else (row, store.story_articles(story_id))

    found = await _read(datasette, fetch)
    if found is None:
        raise NotFound(f"no story {story_id}")
    story, articles = found
    key = (story_id, story["last_seen_at"], story["article_count"], story["credited_source"])
    png = _pictures.get(key)
    if png is None:
        try:
            png = await asyncio.get_running_loop().run_in_executor(None, _draw, story, articles)
        except ValueError as exc:  # no dated article to draw
            raise NotFound(str(exc)) from None
        _pictures[key] = png
        while len(_pictures) > PICTURE_CACHE_SIZE:
            _pictures.popitem(last=False)
    return Response(png, content_type="image/png", headers={"Cache-Control": "max-age=60"})


async def search_page(datasette: Any, request: Any) -> Response:
    form = data.SearchForm.from_args(request.args)
    result = await _read(datasette, lambda store: data.search(store, form))
    return await _page(datasette, request, "search", result, 400 if result["error"] else 200)


async def search_json(datasette: Any, request: Any) -> Response:
    form = data.SearchForm.from_args(request.args)
    result = await _read(datasette, lambda store: data.search(store, form))
    if result["error"]:
        return _json({"ok": False, "error": result["error"]}, status=400)
    hits = [{k: v for k, v in hit.items() if k != "snippet_html"} for hit in result["hits"]]
    return _json({"ok": True, "query": form.q, "rows": hits})


async def feeds_page(datasette: Any, request: Any) -> Response:
    return await _page(datasette, request, "feeds", await _read(datasette, data.feeds))


async def feeds_json(datasette: Any, request: Any) -> Response:
    return _json((await _read(datasette, data.feeds))["feeds"])


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Callable[..., Any]]]:
    """The pages; Datasette tries plugin routes before its own, so ``/`` is the home page and
    the list of databases is not needed (there is one)."""
    return [
        (r"^/$", home_page),
        (r"^/story/(?P<id>\d+)$", story_page),
        (r"^/story/(?P<id>\d+)\.json$", story_json),
        (r"^/story/(?P<id>\d+)\.png$", story_picture),
        (r"^/search$", search_page),
        (r"^/search\.json$", search_json),
        (r"^/feeds$", feeds_page),
        (r"^/feeds\.json$", feeds_json),
    ]


def _load_plotting() -> None:
    import crawler.commands.plot  # noqa: F401  (matplotlib: half a second to import)


@hookimpl
def startup(datasette: Any) -> None:
    """Import matplotlib in the background while the server starts, so the first story picture
    someone opens costs the drawing only."""
    threading.Thread(target=_load_plotting, name="newsmon-load-plotting", daemon=True).start()


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """Times as the CLI prints them (UTC, to the minute)."""
    env.filters["short_time"] = output.short_time


@hookimpl
def render_cell(value: Any, column: str, datasette: Any) -> Markup | None:
    """A story id in any table or query links to that story's page, not to a bare row (in a
    table Datasette hands over the foreign key expanded: its value and the story's title)."""
    if column != "story_id":
        return None
    label = None
    if isinstance(value, dict) and "value" in value:
        value, label = value["value"], value.get("label")
    if not isinstance(value, int):
        return None
    href = escape(datasette.urls.path(f"/story/{value}"))
    if label and label != value:
        return Markup(f'<a href="{href}">{escape(label)}</a>&nbsp;<em>{value}</em>')
    return Markup(f'<a href="{href}">{value}</a>')


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    """The pages from every Datasette page's menu, tables and queries included."""
    return [
        {"href": datasette.urls.path("/"), "label": "Latest stories"},
        {"href": datasette.urls.path("/search"), "label": "Search articles"},
        {"href": datasette.urls.path("/feeds"), "label": "Feed health"},
    ]
