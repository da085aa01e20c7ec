"""moto's server behind a WSGI layer that adds a fixed latency per request and counts requests.

Run it as its own process so that the scanner's memory is measured alone:

    python -m benchmarks.latency_server --port 0 --latency-ms 50

It prints `PORT <n>` once it listens. Control endpoints (never delayed, never counted):

    GET  /_bench/counts          {"counts": [{service, operation, calls, errors, server_errors,
                                 moto_seconds}, ...], "cpu_seconds": server CPU since the reset}
    POST /_bench/reset           zero the counters
    POST /_bench/latency?ms=N    change the added latency (0 while an account is generated)

The operation is resolved per protocol: the X-Amz-Target header (JSON protocols), the Action form
field (query and EC2 protocols), the /service/*/operation/NAME path (Smithy RPC v2 CBOR, used by
CloudWatch), and otherwise the HTTP method and path matched against botocore's own request URIs
(REST protocols: S3, S3 Control, EFS, Security Hub ...). The service is botocore's service name,
found from the signing name in the Authorization header's credential scope.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from botocore.model import OperationModel
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

CONTROL_PREFIX = "/_bench/"
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
RPC_V2_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)")

# Signing names that are not botocore service names. Anything else missing here is found by a
# (one-off, slow) search over every botocore service model.
SIGNING_ALIASES: dict[str, tuple[str, ...]] = {
    "monitoring": ("cloudwatch",),
    "elasticfilesystem": ("efs",),
    "access-analyzer": ("accessanalyzer",),
    "s3": ("s3", "s3control"),  # S3 Control signs as "s3"; its paths start with /v20180820/
    "execute-api": ("apigateway",),
}


@dataclass(frozen=True)
class _Route:
    """One REST operation: its method, a regex for its path and the query keys it requires."""

    service: str
    operation: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]  # (key, required value or None)
    headers: tuple[str, ...]  # required header members, as WSGI environ keys (CopyObject vs PutObject)
    literal_chars: int  # more literal characters = a more specific route

    def matches(self, method: str, path: str, query: dict[str, list[str]], environ: Environ) -> bool:
        return (
            self.method == method
            and self.path.match(path) is not None
            and all(k in query and (v is None or v in query[k]) for k, v in self.query)
            and all(h in environ for h in self.headers)
        )

    def specificity(self) -> tuple[int, int, int]:
        return len(self.query), len(self.headers), self.literal_chars


def _route(service: str, operation: OperationModel) -> _Route:
    method, uri = operation.http["method"], operation.http["requestUri"]
    path_template, _, query_template = uri.partition("?")
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", path_template):
        if piece.startswith("{"):
            pattern += ".+" if piece.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(piece)
    query: list[tuple[str, str | None]] = []
    for item in filter(None, query_template.split("&")):
        key, sep, value = item.partition("=")
        query.append((key, value if sep else None))
    headers: list[str] = []
    shape = operation.input_shape
    if shape is not None:
        for member in getattr(shape, "required_members", []):
            where = shape.members[member].serialization
            if where.get("location") == "header":
                headers.append("HTTP_" + where["name"].upper().replace("-", "_"))
    literal = len(re.sub(r"\{[^}]+\}", "", path_template)) + len(query_template)
    return _Route(service, operation.name, method, re.compile(f"^{pattern}/?$"), tuple(query),
                  tuple(headers), literal)


class OperationResolver:
    """(service, operation) of a raw HTTP request, from botocore's service models."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._services: dict[str, tuple[str, ...]] = {}
        self._routes: dict[str, list[_Route]] = {}

    def services_for(self, signing_name: str) -> tuple[str, ...]:
        with self._lock:
            if signing_name not in self._services:
                self._services[signing_name] = self._find_services(signing_name)
            return self._services[signing_name]

    def _find_services(self, signing_name: str) -> tuple[str, ...]:
        available = set(self._session.get_available_services())
        if signing_name in SIGNING_ALIASES:
            return SIGNING_ALIASES[signing_name]
        if signing_name in available:
            return (signing_name,)
        found = tuple(
            name for name in sorted(available)
            if self._session.get_service_model(name).signing_name == signing_name
        )
        return found or (signing_name,)

    def _routes_for(self, service: str) -> list[_Route]:
        with self._lock:
            if service not in self._routes:
                model = self._session.get_service_model(service)
                self._routes[service] = [
                    _route(service, model.operation_model(name)) for name in model.operation_names
                ]
            return self._routes[service]

    def resolve(self, environ: Environ, form: dict[str, list[str]]) -> tuple[str, str]:
        match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        signing = match.group(1) if match else "unsigned"
        candidates = self.services_for(signing) if match else ()
        service = candidates[0] if candidates else signing
        path = environ.get("PATH_INFO", "")
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return service, target.rsplit(".", 1)[-1]
        rpc = RPC_V2_PATH.match(path)
        if rpc:
            return service, rpc.group(1)
        if "Action" in form:
            return service, form["Action"][0]
        return self._rest(candidates, environ, path)

    def _rest(self, services: Iterable[str], environ: Environ, path: str) -> tuple[str, str]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        best: _Route | None = None
        for service in services:
            for route in self._routes_for(service):
                if route.matches(method, path, query, environ) and (
                    best is None or route.specificity() > best.specificity()
                ):
                    best = route
        if best is None:
            return next(iter(services), "unknown"), f"{method} {path}"
        return best.service, best.operation


class Counters:
    """Requests, error answers (HTTP >= 400, >= 500) and time spent inside moto, per (service, operation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], list[float]] = {}
        self._cpu_started = time.process_time()

    def add(self, key: tuple[str, str], status: int, seconds: float) -> None:
        with self._lock:
            row = self._rows.setdefault(key, [0, 0, 0, 0.0])
            row[0] += 1
            row[1] += status >= 400
            row[2] += status >= 500
            row[3] += seconds

    def reset(self) -> None:
        with self._lock:
            self._rows.clear()
            self._cpu_started = time.process_time()

    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"service": s, "operation": o, "calls": int(n), "errors": int(e),
                     "server_errors": int(e5), "moto_seconds": round(t, 4)}
                    for (s, o), (n, e, e5, t) in sorted(self._rows.items())]

    def cpu_seconds(self) -> float:
        """CPU time of the whole server process since the last reset (moto runs on one core: the GIL)."""
        return time.process_time() - self._cpu_started


class LatencyCounter:
    """WSGI middleware: sleep `latency` seconds, count the request, then let moto answer it."""

    def __init__(self, app: WsgiApp, latency: float = 0.05) -> None:
        self.app = app
        self.latency = latency
        self.counters = Counters()
        self.resolver = OperationResolver()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response, path[len(CONTROL_PREFIX):])
        form = self._read_form(environ)
        key = self.resolver.resolve(environ, form)
        if self.latency:
            time.sleep(self.latency)
        status: list[int] = [0]

        def capture(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        started = time.perf_counter()
        try:
            result = self.app(environ, capture)
            try:
                body = b"".join(result)  # materialised: moto's time includes rendering the answer
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:
            status[0] = 500  # werkzeug answers 500 for what moto raises (an unimplemented service)
            raise
        finally:
            self.counters.add(key, status[0], time.perf_counter() - started)
        return [body]

    @staticmethod
    def _read_form(environ: Environ) -> dict[str, list[str]]:
        """The query-protocol parameters (URL query and form body); the body is put back for moto."""
        form = parse_qs(environ.get("QUERY_STRING", ""))
        content_type = environ.get("CONTENT_TYPE", "")
        length = environ.get("CONTENT_LENGTH")
        if content_type.startswith("application/x-www-form-urlencoded") and length:
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
            for k, values in parse_qs(body.decode("utf-8", "replace")).items():
                form.setdefault(k, []).extend(values)
        return form

    def _control(self, environ: Environ, start_response: StartResponse, command: str) -> Iterable[bytes]:
        answer: Any
        if command == "counts":
            answer = {"counts": self.counters.rows(), "cpu_seconds": self.counters.cpu_seconds(),
                      "latency_ms": self.latency * 1000}
        elif command == "reset":
            self.counters.reset()
            answer = {"reset": True}
        elif command == "latency":
            ms = parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0]
            self.latency = float(ms) / 1000
            answer = {"latency_ms": float(ms)}
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown control command"]
        body = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _exit_when_stdin_closes() -> None:
    """The benchmark holds our stdin open: when it dies (even by SIGKILL), we go too."""
    sys.stdin.read()
    os._exit(0)


def serve(port: int, latency_ms: float, exit_on_stdin_eof: bool = False) -> None:
    if exit_on_stdin_eof:
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request would cost time
    app = LatencyCounter(DomainDispatcherApplication(create_backend_app), latency_ms / 1000)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"PORT {server.server_port}", flush=True)
    # The parent reads that one line and no more: anything else printed to stdout (moto prints
    # now and then) would fill the pipe and block every request thread. Send it to stderr instead.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as PORT n)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (the benchmark's way to never leave a server behind)")
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.latency_ms, args.exit_on_stdin_eof)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
