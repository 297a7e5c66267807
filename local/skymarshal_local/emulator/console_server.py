"""The duty-manager console and approval API, locally: what API Gateway (HTTP API) does on AWS.

Each HTTP request becomes an API Gateway HTTP API payload-2.0 event and is handed to the stack's
ApprovalApiFunction (its alias `live`, as the routes on AWS) through the Lambda Invoke API of the embedded
stack, so the real handler runs in a local sandbox (skymarshal_local.emulator.runtime) with the function's own
environment, exactly as it would behind API Gateway.

Authentication: on AWS the authorizer (IAM or Cognito JWT) puts the caller into `requestContext.authorizer`.
Here this server stands in for it and puts the configured local principal (`skymarshal serve --approver`,
default "local-duty-manager") there as JWT claims, so every decision is recorded with that approver. It listens
on 127.0.0.1 only: anyone who can reach the port acts as that principal.

    /                      -> 302 /console
    /console, /console/…   the static console (served by the function, as on AWS)
    /approvals, /threads/… the approval API
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from skymarshal_local import localenv
from skymarshal_local.localenv import ACCOUNT

DEFAULT_CONSOLE_PORT = 8643
DEFAULT_APPROVER = "local-duty-manager"
FUNCTION_LOGICAL_ID = "ApprovalApiFunction"
MAX_BODY = 64 * 1024


def http_api_event(method: str, target: str, headers: dict[str, str], body: bytes, approver: str,
                   host: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, with the local principal as the authorizer."""
    parts = urlsplit(target)
    now = time.time()
    text = body.decode("utf-8", errors="replace") if body else None
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "queryStringParameters": dict(parse_qsl(parts.query)) or None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "local",
            "http": {"method": method, "path": parts.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": headers.get("User-Agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
            "authorizer": {"jwt": {"claims": {"sub": approver, "cognito:username": approver,
                                              "cognito:groups": ["duty-managers"]}, "scopes": []}},
        },
        "body": text,
        "isBase64Encoded": False,
    }


def integration_target(resources: list[dict[str, Any]]) -> str:
    """What the HTTP API's routes invoke: the function's alias `live` (SAM's AutoPublishAlias points every
    route of its HttpApi events at the alias, the published version that SnapStart restores), else the
    function. `resources`: the stack's DescribeStackResources."""
    physical = {r.get("LogicalResourceId"): r.get("PhysicalResourceId") for r in resources}
    target = physical.get(f"{FUNCTION_LOGICAL_ID}Aliaslive") or physical.get(FUNCTION_LOGICAL_ID)
    if not target:
        raise LookupError(f"the stack has no {FUNCTION_LOGICAL_ID}")
    return str(target)


class ConsoleServer:
    """Serve the console and the approval API on 127.0.0.1:`port` (0 = a free port)."""

    def __init__(self, endpoint_url: str, stack_name: str, port: int = DEFAULT_CONSOLE_PORT,
                 approver: str = DEFAULT_APPROVER, function_name: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.stack_name = stack_name
        self.approver = approver
        self.port = port
        self.function_name = function_name
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lambda: Any = None
        self._previous_console_url: str | None = None
        self._console_url_set = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def console_url(self) -> str:
        return f"{self.url}/console"

    def _client(self, service: str) -> Any:
        return localenv.client(service, self.endpoint_url)

    def start(self) -> ConsoleServer:
        if self.function_name is None:
            resources = self._client("cloudformation").describe_stack_resources(StackName=self.stack_name)
            self.function_name = integration_target(resources["StackResources"])
        self._lambda = self._client("lambda")
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                if self.path in ("/", ""):
                    self.send_response(302)
                    self.send_header("Location", "/console")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._send(413, {"content-type": "application/json"}, b'{"error": "body too large"}')
                    return
                body = self.rfile.read(length) if length else b""
                if self.command == "POST" and not server.same_origin(self.headers):
                    self._send(403, {"content-type": "application/json"},
                               b'{"error": "cross-origin write refused (Origin must be this console)", "status": 403}')
                    return
                event = http_api_event(self.command, self.path, dict(self.headers.items()), body, server.approver,
                                       self.headers.get("Host", f"127.0.0.1:{server.port}"))
                status, headers, payload = server.invoke(event)
                self._send(status, headers, payload)

            def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="console-server", daemon=True)
        self._thread.start()
        # The approval request carries a link to this console (events_out.console_link): point it here.
        from skymarshal_local.emulator.runtime import RUNTIME

        self._previous_console_url = RUNTIME.overrides.get("CONSOLE_URL")
        RUNTIME.overrides["CONSOLE_URL"] = self.console_url
        self._console_url_set = True
        return self

    def same_origin(self, headers: Any) -> bool:
        """Every write signs in as the local duty manager, so it must come from this console's own page: the
        browser's Origin (or, without one, Referer) must be this server; a cross-site form is refused. A
        client that sends neither (curl, the tests' HTTP client) is not a browser and is let through."""
        origin = headers.get("Origin") or ""
        if not origin and headers.get("Referer"):
            origin = "/".join(headers["Referer"].split("/", 3)[:3])
        if not origin:
            return True
        host = headers.get("Host") or ""
        return origin in {f"http://{host}", f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"}

    def invoke(self, event: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """The function's response (payload 2.0 format) as (status, headers, body bytes)."""
        result = self._lambda.invoke(FunctionName=self.function_name, Payload=json.dumps(event).encode())
        payload = json.loads(result["Payload"].read() or b"{}")
        if result.get("FunctionError") or "statusCode" not in payload:
            message = payload.get("errorMessage", "the approval function failed") if isinstance(payload, dict) else ""
            return 502, {"content-type": "application/json"}, json.dumps(
                {"error": f"ApprovalApiFunction: {message}", "status": 502}).encode()
        body = payload.get("body") or ""
        data = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode()
        headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
        for cookie in payload.get("cookies") or []:
            headers.setdefault("Set-Cookie", cookie)
        return int(payload["statusCode"]), headers, data

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self._restore_console_url()

    def _restore_console_url(self) -> None:
        """The runtime is shared by the process: once this server is gone, approval requests must not link to
        it. Put back what was there before start() (nothing, or another console's URL) — unless someone else
        has replaced our URL since, in which case theirs stays."""
        if not self._console_url_set:
            return
        from skymarshal_local.emulator.runtime import RUNTIME  # imported on use, as in start()

        self._console_url_set = False
        if RUNTIME.overrides.get("CONSOLE_URL") != self.console_url:
            return
        if self._previous_console_url is None:
            RUNTIME.overrides.pop("CONSOLE_URL", None)
        else:
            RUNTIME.overrides["CONSOLE_URL"] = self._previous_console_url

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
