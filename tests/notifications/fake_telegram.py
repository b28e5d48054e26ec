"""A local Telegram Bot API stand-in (standard library only), for the real client library pointed at it.

    with FakeTelegram(TOKEN) as fake:
        gw = TelegramGateway(TOKEN, api_base=fake.url, timeout=5)
        fake.script(api_error(403, "Forbidden: bot was blocked by the user"))
        ...
        assert fake.sent[0]["chat_id"] == 777

Answers ``/bot<token>/<method>`` with the Bot API's JSON shapes (``{"ok": true, "result": …}`` or
``{"ok": false, "error_code": …, "description": …}``): getMe, sendMessage (a Message), getUpdates
(queued updates from ``offset`` on; earlier ones are confirmed and dropped), answerCallbackQuery,
setWebhook, deleteWebhook. Parameters are read from the query string, a form or a JSON body. Each
request takes the next scripted reply, if any: an API error, a plain 5xx, a delay (the client times
out), a dropped connection, or "deliver then drop" (the message is sent, the answer lost).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BOT_ID = 7000000001
BOT_USERNAME = "safetyops_test_bot"


@dataclass
class Reply:
    kind: str  # "json", "text", "delay", "drop", "deliver_drop"
    status: int = 200
    body: object = None
    seconds: float = 0.0
    then: Reply | None = None


def api_error(code: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Reply("json", code, body)


def blocked() -> Reply:
    return api_error(403, "Forbidden: bot was blocked by the user")


def chat_not_found() -> Reply:
    return api_error(400, "Bad Request: chat not found")


def server_error(status: int = 502, text: str = "Bad Gateway") -> Reply:
    return Reply("text", status, text)


def delay(seconds: float, then: Reply | None = None) -> Reply:
    return Reply("delay", seconds=seconds, then=then)


def drop() -> Reply:
    return Reply("drop")


def deliver_then_drop() -> Reply:
    return Reply("deliver_drop")


@dataclass
class Call:
    method: str
    params: dict[str, object]
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    fake: FakeTelegram

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        self.fake.errors.append(client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def _params(self) -> dict[str, object]:
        parts = urlsplit(self.path)
        params: dict[str, object] = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            params.update(json.loads(raw))
        elif raw and "form-urlencoded" in ctype:
            params.update({k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()})
        return params

    def _handle(self) -> None:
        fake = self.server.fake
        path = urlsplit(self.path).path
        params = self._params()
        token, _, method = path.removeprefix("/bot").partition("/")
        fake._record(Call(method, params, dict(self.headers.items())))
        if not path.startswith("/bot") or token != fake.token:
            return self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        reply = fake._next_reply() if method != "getUpdates" else None
        while reply is not None and reply.kind == "delay":
            if fake._stopping.wait(reply.seconds):
                return None
            reply = reply.then
        if reply is None:
            status, body = fake._route(method, params)
            return self._json(status, body)
        if reply.kind == "deliver_drop":
            fake._route(method, params)
        if reply.kind in ("drop", "deliver_drop"):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if reply.kind == "json":
            return self._json(reply.status, reply.body)
        return self._send(reply.status, str(reply.body or "").encode(), "text/plain")

    def _json(self, status: int, body: object) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeTelegram:
    """The Bot API for one bot token on 127.0.0.1, a random port."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._stopping = threading.Event()
        self.errors: list[object] = []
        self.calls: list[Call] = []
        #: messages the bot sent (the sendMessage parameters plus message_id)
        self.sent: list[dict[str, object]] = []
        self.answered: list[dict[str, object]] = []
        self._updates: list[dict[str, object]] = []
        self._next_update = 500_000_001
        self._next_message = 1
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeTelegram:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-telegram", daemon=True
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
        self._server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------ scripting
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def _next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------ updates the bot receives
    @staticmethod
    def _user(chat_id: int, username: str = "") -> dict[str, object]:
        user: dict[str, object] = {"id": chat_id, "is_bot": False, "first_name": "Aida", "language_code": "ky"}
        if username:
            user["username"] = username
        return user

    def _push(self, update: dict[str, object]) -> dict[str, object]:
        with self._lock:
            update["update_id"] = self._next_update
            self._next_update += 1
            self._updates.append(update)
        return update

    def user_sends(self, chat_id: int, text: str, username: str = "") -> dict[str, object]:
        """A person writes to the bot (e.g. "/start <token>" after opening the deep link)."""
        with self._lock:
            mid = self._next_message
            self._next_message += 1
        return self._push(
            {
                "message": {
                    "message_id": mid,
                    "from": self._user(chat_id, username),
                    "date": int(time.time()),
                    "text": text,
                    "chat": {
                        "id": chat_id,
                        "type": "private",
                        "first_name": "Aida",
                        **({"username": username} if username else {}),
                    },
                    **(
                        {"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
                        if text.startswith("/")
                        else {}
                    ),
                }
            }
        )

    def user_presses(self, chat_id: int, message: dict[str, object], data: str) -> dict[str, object]:
        """A person presses an inline button under `message` (one of `sent`)."""
        with self._lock:
            cq_id = str(9_000_000 + self._next_update)
        return self._push(
            {
                "callback_query": {
                    "id": cq_id,
                    "from": self._user(chat_id),
                    "chat_instance": "-1",
                    "data": data,
                    "message": {
                        "message_id": message["message_id"],
                        "date": int(time.time()),
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "SafetyOps", "username": BOT_USERNAME},
                        "chat": {"id": chat_id, "type": "private", "first_name": "Aida"},
                        "text": message["text"],
                    },
                }
            }
        )

    # ------------------------------------------------------------ methods
    def _route(self, method: str, params: dict[str, object]) -> tuple[int, dict[str, object]]:
        if method == "getMe":
            return 200, {
                "ok": True,
                "result": {"id": BOT_ID, "is_bot": True, "first_name": "SafetyOps", "username": BOT_USERNAME},
            }
        if method == "sendMessage":
            if not params.get("chat_id") or not params.get("text"):
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
            chat_id = int(str(params["chat_id"]))
            markup = params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            with self._lock:
                mid = self._next_message
                self._next_message += 1
                message: dict[str, object] = {
                    "message_id": mid,
                    "date": int(time.time()),
                    "text": params["text"],
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "SafetyOps", "username": BOT_USERNAME},
                    "chat": {"id": chat_id, "type": "private", "first_name": "Aida"},
                }
                if markup:
                    message["reply_markup"] = markup
                self.sent.append({**params, "chat_id": chat_id, "reply_markup": markup, "message_id": mid})
            return 200, {"ok": True, "result": message}
        if method == "getUpdates":
            offset = int(str(params.get("offset") or 0))
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if int(str(u["update_id"])) >= offset]
                return 200, {"ok": True, "result": list(self._updates)}
        if method == "answerCallbackQuery":
            with self._lock:
                self.answered.append(dict(params))
            return 200, {"ok": True, "result": True}
        if method in ("setWebhook", "deleteWebhook"):
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
