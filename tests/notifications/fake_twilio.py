"""A local Twilio-compatible HTTP test double (standard library only).

Usage::

    with FakeTwilio() as fake:
        gw = TwilioGateway(SID, TOKEN, "+15005550006", api_base=fake.url, timeout=0.5)
        fake.script(twilio_error(400, 21211), rate_limited(retry_after=7))
        ...
        assert fake.requests[0].form["To"] == "+996555123456"

It answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` like Twilio (201,
``status`` "queued", ``sid`` "SM" + 32 hex) and ``GET .../Messages/{sid}.json``.
Each request takes the next scripted reply, if any: a Twilio error JSON, a
429, a 500, a delay (to make the client time out) or a dropped connection.
Every request is recorded (method, path, query, headers, form, Basic auth).
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import re
import secrets
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "FakeTwilio",
    "RecordedRequest",
    "Reply",
    "delay",
    "accept_then_drop",
    "drop",
    "free_port",
    "rate_limited",
    "server_error",
    "twilio_error",
]

_ACCOUNT = r"/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]+)"
_CREATE = re.compile(_ACCOUNT + r"/Messages\.json$")
_FETCH = re.compile(_ACCOUNT + r"/Messages/(?P<sid>(?:SM|MM)[0-9A-Za-z]+)\.json$")


@dataclass
class Reply:
    """One scripted behaviour for the next request.

    kind: "json" (send ``status``/``body``/``headers``), "text" (plain body),
    "default" (behave like Twilio), "delay" (wait ``seconds`` then do ``then``),
    "drop" (read the request, close the connection without an answer).
    """

    kind: str
    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    then: Reply | None = None


def twilio_error(status: int, code: int, message: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    return Reply("json", status, _error_body(status, code, message or f"Error {code}"), dict(headers or {}))


def rate_limited(retry_after: int | str | None = None) -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return twilio_error(429, 20429, "Too Many Requests", headers)


def server_error(status: int = 500, text: str = "Internal Server Error") -> Reply:
    return Reply("text", status, text)


def delay(seconds: float, then: Reply | None = None) -> Reply:
    return Reply("delay", seconds=seconds, then=then)


def drop() -> Reply:
    return Reply("drop")


def accept_then_drop() -> Reply:
    """Create the message like Twilio, then close the connection without answering (a lost answer)."""
    return Reply("accept_drop")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_body: bytes
    #: form fields, last value per key
    form: dict[str, str]
    #: form fields, every value
    form_multi: dict[str, list[str]]
    #: (username, password) from Basic auth, or None
    auth: tuple[str, str] | None


def _rfc2822_now() -> str:
    return email.utils.formatdate(usegmt=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True
    fake: FakeTwilio

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        # the client went away (timeout test) or we closed: nothing to report
        self.fake._errors.append(client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive threads

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()

    # ------------------------------------------------------------------
    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        ctype = self.headers.get("Content-Type", "")
        multi = parse_qs(raw.decode("utf-8"), keep_blank_values=True) if "form-urlencoded" in ctype else {}
        auth = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            auth = (user, password)
        rec = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k: v for k, v in self.headers.items()},
            raw_body=raw,
            form={k: v[-1] for k, v in multi.items()},
            form_multi=multi,
            auth=auth,
        )
        self.server.fake._add_request(rec)
        return rec

    def _handle(self) -> None:
        rec = self._record()
        reply = self.server.fake._next_reply()
        while reply is not None and reply.kind == "delay":
            if self.server.fake._stopping.wait(reply.seconds):
                return  # shutting down: leave without answering
            reply = reply.then
        if reply is None or reply.kind == "default":
            status, body, headers = self.server.fake._route(rec)
            self._send(status, json.dumps(body).encode(), "application/json", headers)
        elif reply.kind == "accept_drop":
            self.server.fake._route(rec)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        elif reply.kind == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        elif reply.kind == "json":
            self._send(reply.status, json.dumps(reply.body).encode(), "application/json", reply.headers)
        elif reply.kind == "text":
            self._send(reply.status, str(reply.body or "").encode(), "text/plain", reply.headers)
        else:  # pragma: no cover - programming error in a test
            raise ValueError(f"unknown reply kind {reply.kind!r}")

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class FakeTwilio:
    """A Twilio REST API double on 127.0.0.1 (a random port unless given)."""

    def __init__(self, auth_token: str | None = None, port: int = 0) -> None:
        #: when set, requests whose Basic auth password differs get 401 / 20003
        self.auth_token = auth_token
        self._port = port
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._stopping = threading.Event()
        self._errors: list[object] = []
        self.requests: list[RecordedRequest] = []
        #: message resources by SID, as Twilio would return them
        self.messages: dict[str, dict[str, object]] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> FakeTwilio:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        assert self._thread is not None
        self._thread.join()
        self._server.server_close()  # joins handler threads
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -------------------------------------------------------------- scripting
    def script(self, *replies: Reply) -> None:
        """Queue behaviours; each request takes the next one, then defaults apply."""
        with self._lock:
            self._replies.extend(replies)

    def _next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _add_request(self, rec: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(rec)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            return self.requests[-1]

    def set_status(
        self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        """Change a stored message, as Twilio does while delivering it."""
        with self._lock:
            msg = self.messages[sid]
            msg.update(status=status, error_code=error_code, error_message=error_message, date_updated=_rfc2822_now())
            if status in ("sent", "delivered", "read") and not msg.get("date_sent"):
                msg["date_sent"] = _rfc2822_now()

    # -------------------------------------------------------------- behaviour
    def _route(self, rec: RecordedRequest) -> tuple[int, dict[str, object], dict[str, str]]:
        if self.auth_token is not None and (rec.auth is None or rec.auth[1] != self.auth_token):
            return 401, _error_body(401, 20003, "Authenticate"), {}
        m = _CREATE.match(rec.path)
        if m and rec.method == "POST":
            return self._create(m["account"], rec.form)
        if m and rec.method == "GET":
            return 200, self._list(m["account"], rec), {}
        m = _FETCH.match(rec.path)
        if m and rec.method == "GET":
            with self._lock:
                msg = self.messages.get(m["sid"])
                if msg is not None and msg["account_sid"] == m["account"]:
                    return 200, dict(msg), {}
        return 404, _error_body(404, 20404, f"The requested resource {rec.path} was not found"), {}

    def _list(self, account: str, rec: RecordedRequest) -> dict[str, object]:
        """GET Messages.json filtered by To and DateSent> (newest first, one page). A message not yet
        sent has no date_sent: its creation time stands in (an assumption of this double)."""
        to = (rec.query.get("To") or [None])[0]
        after = (rec.query.get("DateSent>") or [None])[0]
        after_dt = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        with self._lock:
            found = [dict(m) for m in self.messages.values() if m["account_sid"] == account
                     and (to is None or m["to"] == to)
                     and (after_dt is None or email.utils.parsedate_to_datetime(
                         str(m.get("date_sent") or m["date_created"])) >= after_dt)]
        found.reverse()
        uri = f"/2010-04-01/Accounts/{account}/Messages.json"
        return {"messages": found, "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
                "page": 0, "page_size": 50, "start": 0, "end": max(0, len(found) - 1), "uri": uri}

    def _create(self, account: str, form: dict[str, str]) -> tuple[int, dict[str, object], dict[str, str]]:
        if not form.get("To"):
            return 400, _error_body(400, 21604, "A 'To' phone number is required."), {}
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 400, _error_body(400, 21603, "A 'From' phone number is required."), {}
        if not form.get("Body") and not form.get("MediaUrl") and not form.get("ContentSid"):
            return 400, _error_body(400, 21602, "Message body is required."), {}
        sid = "SM" + secrets.token_hex(16)
        now = _rfc2822_now()
        service = form.get("MessagingServiceSid")
        msg: dict[str, object] = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not form.get("From") else "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": form["To"],
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages[sid] = msg
        return 201, dict(msg), {}


def _error_body(status: int, code: int, message: str) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
