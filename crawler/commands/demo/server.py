"""A small static web server on 127.0.0.1 that behaves like a news site's origin.

It answers conditional requests (ETag / Last-Modified -> 304), compresses when asked, serves a
robots.txt, and logs every request, so the demo and the tests exercise the same HTTP behaviour a
real feed host has, without leaving the machine.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # send ETag / Last-Modified and answer 304s
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    status: int


class SiteServer:
    """Serve ``resources`` (path -> Resource; the query string is ignored when the full path is
    not listed) on 127.0.0.1 from a background thread."""

    def __init__(self, resources: dict[str, Resource] | None = None, port: int = 0) -> None:
        self.resources: dict[str, Resource] = dict(resources or {})
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_for(self, path_prefix: str = "") -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(path_prefix)]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _lookup(self, path: str) -> Resource | None:
        if path in self.resources:
            return self.resources[path]
        bare = urlsplit(path).path
        if bare in self.resources:
            return self.resources[bare]
        if bare == "/robots.txt":
            return Resource(b"User-agent: *\nAllow: /\n", "text/plain", conditional=False)
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the request log is kept in server.log instead

            def do_HEAD(self) -> None:  # noqa: N802
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:  # noqa: N802
                resource = server._lookup(self.path)
                status, headers, body = self._respond(resource)
                with server._lock:
                    server.log.append(
                        LoggedRequest(
                            "HEAD" if head else "GET", self.path, dict(self.headers), status
                        )
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _respond(self, resource: Resource | None) -> tuple[int, dict[str, str], bytes]:
                if resource is None:
                    return 404, {"Content-Type": "text/plain"}, b"not found\n"
                headers = {"Content-Type": resource.content_type, **resource.headers}
                if resource.conditional and resource.status == 200:
                    last_modified = formatdate(resource.modified, usegmt=True)
                    headers["ETag"] = resource.etag
                    headers["Last-Modified"] = last_modified
                    if self._not_modified(resource):
                        return 304, {"ETag": resource.etag, "Last-Modified": last_modified}, b""
                body = resource.body
                if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 512:
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                    headers["Vary"] = "Accept-Encoding"
                return resource.status, headers, body

            def _not_modified(self, resource: Resource) -> bool:
                inm = self.headers.get("If-None-Match")
                if inm is not None:
                    return resource.etag in [t.strip() for t in inm.split(",")] or inm == "*"
                ims = self.headers.get("If-Modified-Since")
                if ims:
                    try:
                        return parsedate_to_datetime(ims).timestamp() >= int(resource.modified)
                    except (TypeError, ValueError):
                        return False
                return False

        return Handler
