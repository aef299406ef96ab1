"""A loopback HTTP server that misbehaves on purpose, one fault per path.

Each path maps to a function that writes the whole response itself (status line, headers, body,
or nothing at all), so a test can serve what real feed hosts send on a bad day: errors with and
without Retry-After, stalls, a byte a second, connections reset mid-body, truncated gzip,
bodies far larger than any feed, redirect loops, lies about content type and charset.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Fault = Callable[[BaseHTTPRequestHandler], None]


def respond(
    status: int, body: bytes = b"", content_type: str = "text/plain", **headers: str
) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return fault


def conditional(body: bytes, content_type: str = "application/rss+xml") -> Fault:
    """A well-behaved feed: an ETag, and 304 Not Modified when the client already has it."""
    import hashlib

    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    full = respond(200, body, content_type, ETag=etag)
    not_modified = respond(304, b"", content_type, ETag=etag)

    def fault(h: BaseHTTPRequestHandler) -> None:
        (not_modified if h.headers.get("If-None-Match") == etag else full)(h)

    return fault


def redirect(status: int, location: str) -> Fault:
    return respond(status, b"", Location=location)


def stall(seconds: float) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.server.stop_event.wait(seconds)  # type: ignore[attr-defined]

    return fault


def drip(body: bytes, per_second: int = 1, limit: float = 30) -> Fault:
    """Headers at once, then the body one byte a second."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        started = time.monotonic()
        for i in range(0, len(body), per_second):
            if time.monotonic() - started > limit or h.server.stop_event.is_set():  # type: ignore[attr-defined]
                return
            h.wfile.write(body[i : i + per_second])
            h.wfile.flush()
            time.sleep(1)

    return fault


def reset_mid_body(body: bytes) -> Fault:
    """Promise the whole body, send a third of it, then reset the connection (RST)."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 3])
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    return fault


def truncated_gzip(body: bytes) -> Fault:
    packed = gzip.compress(body)
    return respond(200, packed[: len(packed) // 2], "application/rss+xml", Content_Encoding="gzip")


def huge(size: int, with_length: bool) -> Fault:
    """``size`` bytes of feed-looking XML, streamed; with or without a Content-Length."""
    chunk = b"<item><title>padding</title><link>http://127.0.0.1/x</link></item>" * 1000

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        if with_length:
            h.send_header("Content-Length", str(size))
        else:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        sent = 0
        try:
            h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while sent < size:
                h.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client hung up: that is the point
        h.server.bytes_sent[h.path] = sent  # type: ignore[attr-defined]

    return fault


class FaultServer:
    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.hits: dict[str, int] = {}
        self.bytes_sent: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                fault = server.faults.get(path)
                try:
                    if fault is None:
                        respond(404, b"not found")(self)
                    else:
                        fault(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.stop_event = threading.Event()  # type: ignore[attr-defined]
        self.httpd.bytes_sent = self.bytes_sent  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.stop_event.set()  # type: ignore[attr-defined]
        self.httpd.shutdown()
        self.httpd.server_close()
