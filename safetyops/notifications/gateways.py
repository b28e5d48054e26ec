"""Outbound SMS/WhatsApp gateways: a small interface, a console gateway and Twilio.

Pure Python (no Flask, no database). The dispatcher of the outbox calls
``gateway.send(...)`` and acts on ``SendResult.outcome``:

- ``accepted``: the provider took the message; keep ``provider_id`` (Twilio
  sends no callback for the initial ``queued`` status).
- ``retry``: the provider surely did not accept it (HTTP 429 / 20429, or the
  connection failed before the request went out): safe to send again, after
  ``retry_after`` seconds when given.
- ``failed``: permanent; ``error_code`` says why. Codes in
  ``TERMINAL_PHONE_CODES`` mean the person's phone number needs attention.
- ``unknown``: the request may have been accepted (read timeout, 5xx, dropped
  connection after sending). Never resend blindly: Twilio has no idempotency
  key. Reconcile with ``fetch`` when a ``provider_id`` is known, otherwise
  leave it for a person to check.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "ACCOUNT_CONFIG_CODES",
    "CHANNELS",
    "OUTCOMES",
    "TERMINAL_PHONE_CODES",
    "ConsoleGateway",
    "Gateway",
    "GatewayFactory",
    "SendResult",
    "TwilioGateway",
    "build_gateway",
    "classify_twilio_error",
    "classify_transport_error",
    "gateway_names",
    "map_twilio_status",
    "register_gateway",
]

Outcome = Literal["accepted", "retry", "failed", "unknown"]
Channel = Literal["sms", "whatsapp"]

OUTCOMES: frozenset[str] = frozenset({"accepted", "retry", "failed", "unknown"})
CHANNELS: frozenset[str] = frozenset({"sms", "whatsapp"})

#: Twilio error codes that say the recipient's number itself is the problem
#: (invalid, not mobile, unreachable, opted out, not on WhatsApp). The person's
#: phone should be flagged for the director; resending will not help.
TERMINAL_PHONE_CODES: frozenset[str] = frozenset(
    {
        "21211",  # invalid 'To' phone number
        "21214",  # 'To' phone number cannot be reached
        "21217",  # phone number does not appear to be valid
        "21610",  # recipient unsubscribed (replied STOP)
        "21612",  # 'To' number not reachable via this route / cannot route
        "21614",  # 'To' number is not a valid mobile number (landline)
        "30005",  # unknown destination handset
        "30006",  # landline or unreachable carrier
        "63003",  # WhatsApp: channel could not find the 'To' address
    }
)

#: Twilio error codes that point at our account or configuration, not at the
#: recipient (wrong credentials, sender, or geo permissions). Failed, and an
#: administrator should be told; the phone is not flagged.
ACCOUNT_CONFIG_CODES: frozenset[str] = frozenset(
    {
        "20003",  # authentication failed
        "20404",  # resource not found (wrong account / service SID)
        "21212",  # invalid 'From' number
        "21408",  # permission to send to this region is not enabled
        "21606",  # 'From' number is not a valid SMS-capable number for this account
        "21659",  # 'From' is not a Twilio number
        "21703",  # messaging service has no phone numbers
    }
)

_RETRY_CODES = frozenset({"20429"})

#: Twilio message status -> our outcome (see the Message resource docs).
_STATUS_OUTCOME: dict[str, Outcome] = {
    "queued": "accepted",
    "accepted": "accepted",
    "scheduled": "accepted",
    "sending": "accepted",
    "sent": "accepted",
    "delivered": "accepted",
    "read": "accepted",
    "partially_delivered": "accepted",
    "receiving": "accepted",
    "received": "accepted",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a gateway knows after a send or a lookup."""

    #: "accepted" | "retry" | "failed" | "unknown"
    outcome: Outcome
    #: provider's id of the message (Twilio SID), when known
    provider_id: str | None = None
    #: provider status string ("queued", "delivered", ...), or e.g. "http-429", "timeout"
    status: str | None = None
    #: provider error code as a string ("21211"), or None
    error_code: str | None = None
    #: human-readable explanation (never shown to end users verbatim)
    error_message: str | None = None
    #: seconds to wait before retrying, when the provider said so
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")

    @property
    def is_terminal_phone_error(self) -> bool:
        """True when the person's phone number should be flagged."""
        return self.outcome == "failed" and self.error_code in TERMINAL_PHONE_CODES

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@runtime_checkable
class Gateway(Protocol):
    """A provider that sends text messages. Implementations must not raise for provider errors."""

    name: str

    def send(
        self, to: str, body: str, *, channel: Channel = "sms", status_callback: str | None = None
    ) -> SendResult: ...

    def fetch(self, provider_id: str) -> SendResult | None: ...


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {sorted(CHANNELS)}, not {channel!r}")


# --------------------------------------------------------------------------- console


class ConsoleGateway:
    """Development gateway: logs each message (and optionally appends JSON lines to a file)."""

    name = "console"

    def __init__(self, logger: logging.Logger | None = None, path: str | Path | None = None) -> None:
        self.logger = logger or logging.getLogger("safetyops.sms")
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._sent: dict[str, dict[str, object]] = {}

    def send(self, to: str, body: str, *, channel: Channel = "sms", status_callback: str | None = None) -> SendResult:
        _check_channel(channel)
        provider_id = f"console-{uuid.uuid4().hex}"
        record = {
            "id": provider_id,
            "at": datetime.now(UTC).isoformat(),
            "channel": channel,
            "to": to,
            "body": body,
            "status_callback": status_callback,
        }
        self.logger.info("%s to %s [%s]: %s", channel.upper(), to, provider_id, body)
        with self._lock:
            self._sent[provider_id] = record
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return SendResult("accepted", provider_id=provider_id, status="sent")

    def fetch(self, provider_id: str) -> SendResult | None:
        # Messages "sent" by any console gateway (also in another process) count as delivered.
        if not provider_id.startswith("console-"):
            return None
        return SendResult("accepted", provider_id=provider_id, status="delivered")

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- twilio


def _twilio_http_client_class() -> type:
    from twilio.http.http_client import TwilioHttpClient

    class RebasingTwilioHttpClient(TwilioHttpClient):
        """TwilioHttpClient that can send to another base URL and remembers the last response headers.

        ``api_base`` (``http://127.0.0.1:8765``) replaces scheme and host of each
        request URL; path and query stay. The last response is kept per thread so
        that ``Retry-After`` can be read after the client raised.
        """

        def __init__(self, api_base: str | None = None, **kwargs: object) -> None:
            super().__init__(**kwargs)
            self.api_base = urlsplit(api_base) if api_base else None
            self._local = threading.local()

        @property
        def last_headers(self) -> Mapping[str, str]:
            return getattr(self._local, "headers", None) or {}

        def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            self._local.headers = None
            if self.api_base is not None:
                parts = urlsplit(url)
                url = urlunsplit((self.api_base.scheme, self.api_base.netloc, parts.path, parts.query, ""))
            response = super().request(method, url, *args, **kwargs)
            self._local.headers = response.headers
            return response

        def close(self) -> None:
            if self.session is not None:
                self.session.close()

    return RebasingTwilioHttpClient


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def classify_twilio_error(exc: Exception, headers: Mapping[str, str] | None = None) -> SendResult:
    """Map a Twilio REST error (HTTP status + Twilio code) to a SendResult.

    429 or code 20429 -> retry; 5xx -> unknown (may have been accepted); other 4xx -> failed.
    """
    http_status = int(getattr(exc, "status", 0) or 0)
    raw_code = getattr(exc, "code", None)
    # twilio puts the HTTP status into .code when the body had no Twilio code
    code = str(raw_code) if raw_code is not None and raw_code != http_status else None
    message = getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", None) or str(exc)
    status = f"http-{http_status}" if http_status else "error"
    if http_status == 429 or code in _RETRY_CODES:
        retry_after = _parse_retry_after(_header(headers, "Retry-After"))
        return SendResult("retry", None, status, code or "20429", message, retry_after)
    if http_status >= 500 or not http_status:
        return SendResult("unknown", None, status, code, message)
    return SendResult("failed", None, status, code or status, message)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception, its args that are exceptions, .reason, __cause__ and __context__, recursively."""
    seen: list[BaseException] = []
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        nxt: list[object] = [getattr(e, "reason", None), e.__cause__, e.__context__, *getattr(e, "args", ())]
        stack.extend(x for x in nxt if isinstance(x, BaseException))
    return seen


def classify_transport_error(exc: BaseException) -> SendResult:
    """Map a transport error (requests/urllib3/socket) to retry or unknown.

    Retry only when the failure surely happened before the request was sent:
    connection refused, DNS failure, connect timeout. Everything else (read
    timeout, connection reset or closed after sending, broken response) is unknown.
    """
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    chain = _exception_chain(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(e, (ConnectTimeoutError, NewConnectionError)) for e in chain
    ):
        # NameResolutionError is a NewConnectionError in urllib3 2.x
        return SendResult("retry", None, "connect-error", None, f"{type(exc).__name__}: {exc}")
    if isinstance(exc, requests.exceptions.Timeout):
        return SendResult("unknown", None, "timeout", None, f"{type(exc).__name__}: {exc}")
    return SendResult("unknown", None, "connection-lost", None, f"{type(exc).__name__}: {exc}")


def map_twilio_status(
    sid: str | None, status: str | None, error_code: object = None, error_message: str | None = None
) -> SendResult:
    """A Twilio message status (from a fetch or a status callback) as a SendResult."""
    status = (status or "").lower() or None
    outcome: Outcome = _STATUS_OUTCOME.get(status or "", "unknown")
    code = str(error_code) if error_code not in (None, "", 0, "0") else None
    return SendResult(outcome, sid, status, code, error_message)


class TwilioGateway:
    """Twilio Programmable Messaging (SMS and WhatsApp) through the official ``twilio`` client."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base: str | None = None,
        timeout: float = 10,
        *,
        region: str | None = None,
        edge: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        from twilio.rest import Client

        if not account_sid or not auth_token:
            raise ValueError("TwilioGateway needs account_sid and auth_token")
        if not from_number and not messaging_service_sid:
            raise ValueError("TwilioGateway needs from_number or messaging_service_sid")
        self.account_sid = account_sid
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.logger = logger or logging.getLogger("safetyops.sms")
        self.http_client = _twilio_http_client_class()(api_base=api_base, timeout=timeout)
        self.client = Client(account_sid, auth_token, region=region, edge=edge, http_client=self.http_client)

    @staticmethod
    def _address(number: str, channel: str) -> str:
        if channel == "whatsapp" and not number.startswith("whatsapp:"):
            return f"whatsapp:{number}"
        return number

    def send(self, to: str, body: str, *, channel: Channel = "sms", status_callback: str | None = None) -> SendResult:
        from twilio.base.exceptions import TwilioException

        _check_channel(channel)
        kwargs: dict[str, object] = {"to": self._address(to, channel), "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self._address(self.from_number or "", channel)
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioException as exc:
            if hasattr(exc, "status"):
                result = classify_twilio_error(exc, self.http_client.last_headers)
            else:  # client-side error before any request
                result = SendResult("failed", None, "client-error", None, str(exc))
        except OSError as exc:  # requests.RequestException is an OSError
            result = classify_transport_error(exc)
        except ValueError as exc:  # e.g. an unreadable 2xx body: the message may exist
            result = SendResult("unknown", None, "bad-response", None, f"{type(exc).__name__}: {exc}")
        else:
            result = map_twilio_status(message.sid, message.status, message.error_code, message.error_message)
            if result.outcome == "unknown" and message.sid:
                # a created message with a status we do not know yet is still accepted
                result = SendResult("accepted", message.sid, result.status)
        self.logger.info(
            "twilio %s to %s: %s sid=%s status=%s code=%s",
            channel,
            to,
            result.outcome,
            result.provider_id,
            result.status,
            result.error_code,
        )
        return result

    def fetch(self, provider_id: str) -> SendResult | None:
        """Look a message up by SID. None when Twilio does not know it (404).

        Transport problems or 5xx give ``outcome="unknown"`` (still not known);
        other API errors give ``failed`` with the error code (e.g. bad credentials).
        """
        from twilio.base.exceptions import TwilioException

        try:
            message = self.client.messages(provider_id).fetch()
        except TwilioException as exc:
            if getattr(exc, "status", None) == 404:
                return None
            if not hasattr(exc, "status"):
                return SendResult("unknown", provider_id, "client-error", None, str(exc))
            r = classify_twilio_error(exc, self.http_client.last_headers)
            # for a lookup, "retry" (rate limited) only means: still not known, ask again later
            outcome: Outcome = "unknown" if r.outcome == "retry" else r.outcome
            return SendResult(outcome, provider_id, r.status, r.error_code, r.error_message, r.retry_after)
        except OSError as exc:
            return SendResult("unknown", provider_id, "lookup-failed", None, f"{type(exc).__name__}: {exc}")
        return map_twilio_status(message.sid or provider_id, message.status, message.error_code, message.error_message)

    def find(self, to: str, since: datetime, channel: Channel = "sms") -> list[tuple[str, str, SendResult]] | None:
        """Messages sent to `to` since `since` as (sid, body, status), through the client's message list
        (filtered by recipient and send date): resolves a send whose answer was lost, when no SID is
        known. None when the lookup itself failed (ask again later)."""
        from twilio.base.exceptions import TwilioException

        try:
            found = self.client.messages.list(to=self._address(to, channel), date_sent_after=since, limit=50)
        except (TwilioException, OSError, ValueError) as exc:
            self.logger.warning("twilio lookup of messages to %s failed: %s", to, exc)
            return None
        return [(m.sid or "", m.body or "", map_twilio_status(m.sid, m.status, m.error_code, m.error_message))
                for m in found if m.sid]

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http_client.close()

    def __enter__(self) -> TwilioGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- registry

GatewayFactory = Callable[[Mapping[str, object]], Gateway]

def register_gateway(name: str, factory: GatewayFactory) -> None:
    """Make ``build_gateway(name, settings)`` call ``factory(settings)``. Replaces an existing entry."""
    if not name or not name.strip():
        raise ValueError("gateway name must not be empty")
    _REGISTRY[name.strip().lower()] = factory


def gateway_names() -> list[str]:
    return sorted(_REGISTRY)


def build_gateway(name: str, settings: Mapping[str, object]) -> Gateway:
    """Build the gateway registered under ``name`` from a settings mapping (e.g. ``app.config``)."""
    key = (name or "").strip().lower()
    try:
        factory = _REGISTRY[key]
    except KeyError:
        raise ValueError(f"unknown SMS gateway {name!r}; known: {', '.join(gateway_names())}") from None
    return factory(settings)


def _setting(settings: Mapping[str, object], key: str) -> str | None:
    value = settings.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _console_factory(settings: Mapping[str, object]) -> Gateway:
    return ConsoleGateway(path=_setting(settings, "SMS_LOG_FILE"))


def _twilio_factory(settings: Mapping[str, object]) -> Gateway:
    missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not _setting(settings, k)]
    if not _setting(settings, "TWILIO_FROM_NUMBER") and not _setting(settings, "TWILIO_MESSAGING_SERVICE_SID"):
        missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise ValueError(f"Twilio gateway is not configured: missing {', '.join(missing)}")
    timeout = settings.get("TWILIO_TIMEOUT")
    return TwilioGateway(
        account_sid=_setting(settings, "TWILIO_ACCOUNT_SID") or "",
        auth_token=_setting(settings, "TWILIO_AUTH_TOKEN") or "",
        from_number=_setting(settings, "TWILIO_FROM_NUMBER"),
        messaging_service_sid=_setting(settings, "TWILIO_MESSAGING_SERVICE_SID"),
        api_base=_setting(settings, "TWILIO_API_BASE"),
        timeout=float(timeout) if timeout not in (None, "") else 10,  # type: ignore[arg-type]
        region=_setting(settings, "TWILIO_REGION"),
        edge=_setting(settings, "TWILIO_EDGE"),
    )


#: name -> factory; the notifications area's register(app) adds "smpp" (smpp_gateway imports this module).
_REGISTRY: dict[str, GatewayFactory] = {"console": _console_factory, "twilio": _twilio_factory}
