"""HTTP/1.1 keep-alive for the embedded endpoint, as AWS's endpoints keep connections open between requests.

moto's ThreadedMotoServer runs werkzeug's development server, which closes the connection after every response
(werkzeug/serving.py: "Always close the connection. This disables HTTP/1.1 keep-alive connections"), then waits
10 ms for a drain that could otherwise read the next request. botocore pools connections, so on AWS a warm
Lambda sandbox and the Step Functions engine reuse theirs; here every call opened a new TCP connection, which the
server accepted and gave a new thread: in a 100-disruption storm ~100 connections a second, a fifth of the
server process's interpreter time (py-spy, GIL-holding samples), with every client paying the connect too.

`KeepAliveHandler` answers each request with a complete, delimited response (Content-Length) and no
`Connection: close`, after reading whatever the application left of the request body, so the next request on
the connection starts where it should; the connection stays with its thread, as in werkzeug, until the client
closes it, asks to (`Connection: close`, HTTP/1.0) or leaves it idle for `IDLE_SECONDS` (botocore then opens a
new one, as after an idle timeout on AWS).

Written by hand: werkzeug has no keep-alive, and the servers that have it (cheroot, waitress) run a fixed pool of
worker threads. This endpoint's requests wait on each other (a Lambda invoke waits for a function that calls
DynamoDB through the same endpoint), so a fixed pool deadlocks once a storm's invokes fill it; a thread per
connection does not.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import make_server

log = logging.getLogger(__name__)

IDLE_SECONDS = 60  # an idle connection is closed after this (its thread ends)
NO_BODY = frozenset({204, 304})


class _Body(io.RawIOBase):
    """The request body as the application reads it, counted, so that the rest can be read after it."""

    def __init__(self, raw: Any, length: int | None) -> None:
        self._raw, self._left = raw, length  # length None: chunked, the stream ends with the last chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._left is not None:
            view = view[: self._left]
        if not len(view):
            return 0
        n = self._raw.readinto(view) or 0
        if self._left is not None:
            self._left -= n
        return n

    def drain(self) -> None:
        while self.read(65536):
            pass


class KeepAliveHandler(MotoRequestHandler):
    timeout = IDLE_SECONDS
    # Nagle's algorithm off (TCP_NODELAY, as urllib3 sets on its side): on a connection that stays open, the body
    # written after the headers waited for the client's delayed ACK, ~40 ms per request (a close used to flush it).
    disable_nagle_algorithm = True
    # A buffered writer (socketserver's default is unbuffered): the status line, the headers and a body of up to
    # this size leave in one send, where they took two (headers, then body), each a system call after which the
    # thread waits for the interpreter lock again among the storm's thousand. run_wsgi and http.server's
    # handle_one_request flush it at the end of every response.
    wbufsize = 1 << 16

    def handle_expect_100(self) -> bool:
        """http.server answers `Expect: 100-continue` while it parses the request; the interim answer must leave
        at once (the client sends the body only after it), not wait in the write buffer. Once: werkzeug's
        run_wsgi, which this class replaces, sent a second one."""
        answered = super().handle_expect_100()
        self.wfile.flush()
        return answered

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        chunked = bool(environ.get("wsgi.input_terminated"))
        body = _Body(environ["wsgi.input"], None if chunked else int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = body
        try:
            status, headers, payload = _collect(self.server.app, environ)
        except Exception:
            log.exception("error on request %s %s", self.command, self.path)
            status, headers, payload = _collect(InternalServerError(), environ)
        body.drain()
        code_text, _, message = status.partition(" ")
        code = int(code_text)
        has_body = code not in NO_BODY and not 100 <= code < 200
        self.send_response(code, message)
        length = None
        for key, value in headers:
            lowered = key.lower()
            if lowered == "content-length":
                length = value
            elif lowered not in ("connection", "transfer-encoding"):
                self.send_header(key, value)
        if has_body:
            # HEAD: the length the application gave (of the body a GET would have), the body is not sent
            self.send_header("Content-Length", length if self.command == "HEAD" and length else str(len(payload)))
        self.end_headers()
        if has_body and self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


def _collect(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """A WSGI application's whole response (moto's are complete byte strings)."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return written.append  # the legacy write() callable

    result = app(environ, start_response)
    try:
        written.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return started[0], started[1], b"".join(written)


def backend_app(service: str) -> Any:
    """moto's Flask app for one service, out of debug mode. moto turns Flask's debug mode on, in which every
    request that carries no form data gets a class made for it (flask/debughelpers.py,
    attach_enctype_error_multidict): an eighth of the server process's interpreter time in a storm (py-spy).
    Nothing else of debug mode matters here: an unexpected error is a 500 either way (Flask answers it instead
    of the server), which botocore retries as it would AWS's."""
    from moto.moto_server.werkzeug_app import create_backend_app

    app = create_backend_app(service)
    app.debug = False
    return app


class KeepAliveMotoServer(ThreadedMotoServer):
    """moto's threaded server with `KeepAliveHandler` and `backend_app` (moto names both in `_server_entry`), behind
    the functions' IAM (skymarshal_local.emulator.iam)."""

    def _server_entry(self) -> None:
        from skymarshal_local.emulator.iam import GATE

        app = GATE.wrap(DomainDispatcherApplication(backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=KeepAliveHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
