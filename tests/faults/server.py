"""A fault-injecting WSGI layer in front of moto's server, run as its own process on 127.0.0.1.

    python -m tests.faults.server --port 0 --seed 7

It prints `PORT <n>` once it listens, and stops when its stdin closes (the test holds it open,
so a killed test never leaves a server behind). Each request is resolved to (service, operation)
by the benchmark server's resolver (X-Amz-Target, Action=, the RPC v2 path or botocore's REST
routes), then to its IAM action, and the first rule that matches it fires with its probability,
drawn from one seeded RNG. What a rule answers is what the service itself would answer, in its
own protocol: Throttling (IAM, STS and the other query APIs), ThrottlingException (JSON APIs),
RequestLimitExceeded (EC2), SlowDown 503 (S3); AccessDenied in each protocol's spelling; 500 and
503 errors; a dropped connection; a slow answer (a read timeout for the client); a hang.

Control endpoints (never faulted, never counted), JSON in and out:

    POST /_faults/rules     {"rules": [Rule, ...], "seed": n}  replace the rules, reseed, zero counts
    GET  /_faults/stats     {"requests": n, "faulted": {kind: n}, "seen": [[service, op, action]],
                             "assume_role": n, "expired": n}
    POST /_faults/credentials {"seconds": s, "deny_after": k}  AssumeRole answers expire after s
                             seconds; requests signed with an expired key get ExpiredToken; after
                             k AssumeRole calls, AssumeRole itself is denied (None: never)

A Rule is {"kind": ..., "fraction": 0..1, "actions": [...] | null, "services": [...] | null,
"regions": [...] | null, "seconds": s}; kinds: throttle, deny, error500, error503, drop, slow,
hang. Rules match the IAM action (`s3:GetBucketAcl`), so `awsaudit permissions` names them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks.latency_server import (
    RPC_V2_PATH,
    Environ,
    LatencyCounter,
    OperationResolver,
    StartResponse,
    WsgiApp,
)
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from awsaudit.collect import iam_action

CONTROL_PREFIX = "/_faults/"
SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
KINDS = frozenset({"throttle", "deny", "error500", "error503", "drop", "slow", "hang"})
HANG_LIMIT = 120.0
"""A hang still ends (by dropping the connection) so the server can always shut down."""

QUERY_THROTTLE = "Throttling"
THROTTLE = {"ec2": ("RequestLimitExceeded", 503), "s3": ("SlowDown", 503), "s3control": ("SlowDown", 503)}
DENY = {"ec2": ("UnauthorizedOperation", 403)}


@dataclass(frozen=True)
class Rule:
    kind: str
    fraction: float = 1.0
    actions: frozenset[str] | None = None
    services: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    seconds: float = 0.0

    @classmethod
    def of(cls, data: dict[str, Any]) -> Rule:
        if data["kind"] not in KINDS:
            raise ValueError(f"unknown fault kind {data['kind']!r}")

        def names(key: str) -> frozenset[str] | None:
            return None if data.get(key) is None else frozenset(data[key])

        return cls(data["kind"], float(data.get("fraction", 1.0)), names("actions"), names("services"),
                   names("regions"), float(data.get("seconds", 0.0)))

    def matches(self, service: str, action: str, region: str) -> bool:
        return ((self.actions is None or action in self.actions)
                and (self.services is None or service in self.services)
                and (self.regions is None or region in self.regions))


def protocol(service: str, environ: Environ, form: dict[str, list[str]]) -> str:
    """The wire protocol of this request, as the client spoke it (CloudWatch may use CBOR)."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if RPC_V2_PATH.match(environ.get("PATH_INFO", "")):
        return "cbor"
    if "Action" in form:
        return "ec2" if service == "ec2" else "query"
    return "rest-xml" if service in ("s3", "s3control") else "rest-json"


def _cbor_text(text: str) -> bytes:
    raw = text.encode()
    if len(raw) < 24:
        return bytes([0x60 | len(raw)]) + raw
    return bytes([0x78, len(raw)]) + raw  # every text here is under 256 bytes


def cbor_map(fields: dict[str, str]) -> bytes:
    """A CBOR map of short text strings (RFC 8949): all an RPC v2 error body needs."""
    return bytes([0xA0 | len(fields)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in fields.items())


Answer = tuple[int, list[tuple[str, str]], bytes]


def error_answer(proto: str, code: str, message: str, status: int) -> Answer:
    """(status, headers, body) of an AWS error in the request's protocol."""
    if proto == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
                "</Message></Error><RequestId>fault</RequestId></ErrorResponse>").encode()
        return status, [("Content-Type", "text/xml")], body
    if proto == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                "</Errors><RequestID>fault</RequestID></Response>").encode()
        return status, [("Content-Type", "text/xml")], body
    if proto == "rest-xml":
        body = (f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId>"
                "</Error>").encode()
        return status, [("Content-Type", "application/xml")], body
    if proto == "cbor":
        return status, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")], cbor_map(
            {"__type": code, "message": message})
    body = json.dumps({"__type": code, "message": message}).encode()
    kind = "application/x-amz-json-1.1" if proto == "json" else "application/json"
    return status, [("Content-Type", kind), ("x-amzn-ErrorType", code)], body


def throttle_error(service: str, proto: str) -> tuple[str, int]:
    if service in THROTTLE:
        return THROTTLE[service]
    if proto in ("query", "cbor"):
        return QUERY_THROTTLE, 400
    return ("ThrottlingException", 400) if proto == "json" else ("ThrottlingException", 429)


def deny_error(service: str, proto: str) -> tuple[str, int]:
    if service in DENY:
        return DENY[service]
    if proto in ("query", "rest-xml"):
        return "AccessDenied", 403
    return "AccessDeniedException", 400 if proto in ("json", "cbor") else 403


class Credentials:
    """Short-lived AssumeRole answers, and the expiry they promise enforced on every request."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self.deny_after: int | None = None
        self.expiry: dict[str, float] = {}
        self.assumed = 0
        self.expired = 0

    def rewrite(self, body: bytes) -> bytes:
        """Give the issued key the short expiry, and remember when it ends."""
        if self.seconds is None:
            return body
        ends = time.time() + self.seconds
        stamp = dt.datetime.fromtimestamp(ends, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        text = re.sub(r"<Expiration>[^<]*</Expiration>", f"<Expiration>{stamp}</Expiration>",
                      body.decode())
        key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text)
        if key:
            self.expiry[key.group(1)] = ends
        return text.encode()


class FaultInjector:
    """WSGI middleware: resolve the request, apply the first matching rule, else let moto answer."""

    def __init__(self, app: WsgiApp, seed: int = 0) -> None:
        self.app = app
        self.resolver = OperationResolver()
        self.lock = threading.Lock()
        self.rules: list[Rule] = []
        self.rng = random.Random(seed)
        self.requests = 0
        self.faulted: Counter[str] = Counter()
        self.answers: Counter[tuple[str, str]] = Counter()
        """(error code, service) of every injected error answer."""
        self.seen: set[tuple[str, str, str]] = set()
        self.credentials = Credentials()
        self.stopping = threading.Event()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response, path[len(CONTROL_PREFIX):])
        form = LatencyCounter._read_form(environ)  # the benchmark server's parsing
        service, operation = self.resolver.resolve(environ, form)
        scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        key, region, signing = scope.groups() if scope else ("", "", service)
        action = iam_action(service, signing, operation)
        proto = protocol(service, environ, form)
        with self.lock:
            self.requests += 1
            self.seen.add((service, operation, action))
            rule = next((r for r in self.rules if r.matches(service, action, region)
                         and self.rng.random() < r.fraction), None)
            if rule is not None:
                self.faulted[rule.kind] += 1
            ends = self.credentials.expiry.get(key)
            expired = ends is not None and time.time() > ends
            if expired:
                self.credentials.expired += 1
            assume = action == "sts:AssumeRole"
            if assume:
                self.credentials.assumed += 1
                refused = (self.credentials.deny_after is not None
                           and self.credentials.assumed > self.credentials.deny_after)
        if expired:
            return self._answer(start_response, *error_answer(
                proto, "ExpiredToken" if proto in ("query", "ec2", "rest-xml") else "ExpiredTokenException",
                "The security token included in the request is expired", 400))
        if assume and refused:
            return self._answer(start_response, *error_answer(
                proto, "AccessDenied", "injected: not allowed", 403))
        if rule is not None:
            answer = self._fault(rule, service, proto, environ, start_response)
            if answer is not None:
                return answer
        if assume:
            return self._rewritten(environ, start_response)
        return self.app(environ, start_response)

    def _fault(self, rule: Rule, service: str, proto: str, environ: Environ,
               start_response: StartResponse) -> Iterable[bytes] | None:
        if rule.kind == "throttle":
            code, status = throttle_error(service, proto)
            self._count(code, service)
            return self._answer(start_response, *error_answer(
                proto, code, "Rate exceeded (injected)", status))
        if rule.kind == "deny":
            code, status = deny_error(service, proto)
            self._count(code, service)
            return self._answer(start_response, *error_answer(
                proto, code, f"injected: not authorized to perform {service} call", status))
        if rule.kind in ("error500", "error503"):
            status = int(rule.kind[-3:])
            code = "InternalError" if status == 500 else "ServiceUnavailable"
            self._count(code, service)
            return self._answer(start_response, *error_answer(proto, code, "injected server error", status))
        if rule.kind == "slow":
            self.stopping.wait(rule.seconds)
            return None  # then the real answer, too late for a client with a shorter read timeout
        if rule.kind == "hang":
            self.stopping.wait(rule.seconds or HANG_LIMIT)
        return self._drop(environ, start_response)

    def _count(self, code: str, service: str) -> None:
        with self.lock:
            self.answers[(code, service)] += 1

    @staticmethod
    def _drop(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Close the connection with no answer: the client sees it reset mid-request."""
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        start_response("500 Dropped", [("Content-Length", "0")])
        return []

    @staticmethod
    def _answer(start_response: StartResponse, status: int, headers: list[tuple[str, str]],
                body: bytes) -> Iterable[bytes]:
        start_response(f"{status} Fault", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _rewritten(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        with self.lock:
            body = self.credentials.rewrite(body)
        status, headers = captured
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _control(self, environ: Environ, start_response: StartResponse, command: str) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        with self.lock:
            if command == "rules":
                self.rules = [Rule.of(r) for r in data.get("rules", [])]
                self.rng = random.Random(data.get("seed", 0))
                self.requests = 0
                self.faulted.clear()
                self.answers.clear()
                self.seen.clear()
            elif command == "credentials":
                self.credentials.seconds = data.get("seconds")
                self.credentials.deny_after = data.get("deny_after")
                self.credentials.assumed = 0
                self.credentials.expired = 0
            answer = {"requests": self.requests, "faulted": dict(self.faulted),
                      "seen": sorted(self.seen), "answers": sorted(self.answers),
                      "assume_role": self.credentials.assumed,
                      "expired": self.credentials.expired}
        return self._answer(start_response, 200, [("Content-Type", "application/json")],
                            json.dumps(answer).encode())


def _exit_when_stdin_closes() -> None:
    sys.stdin.read()
    os._exit(0)


def build_demo(url: str, regions: tuple[str, ...]) -> None:
    """Acme's demo account, built in this process's moto through this very server.

    The demo's builders also reach into moto's backends (credential ages, ...), which live in
    this process: so the account is built here, not by the test.
    """
    from awsaudit.demo import build_account  # noqa: PLC0415

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": regions[0], "AWS_ENDPOINT_URL": url})
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    build_account(regions)


def serve(port: int, seed: int, demo: tuple[str, ...] = ()) -> None:
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # dropped connections log otherwise
    app = FaultInjector(DomainDispatcherApplication(create_backend_app), seed)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    if demo:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        build_demo(f"http://127.0.0.1:{server.server_port}", demo)
    print(f"PORT {server.server_port}", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # moto's prints must not fill the pipe
    if demo:
        threading.Event().wait()
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--demo", metavar="REGION", action="append", default=[],
                        help="build the demo account in these regions (home first) before listening")
    args = parser.parse_args(argv)
    serve(args.port, args.seed, tuple(args.demo))


if __name__ == "__main__":
    main()
