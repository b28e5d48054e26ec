"""An in-country SMS route: SMPP 3.4 to an operator's or an aggregator's SMSC, through `smpplib`.

Pure Python (no Flask, no database), like gateways.py. One ``bind_transceiver`` connection per
gateway, kept open and shared (under a lock) by the sender and the receipt listener:

- ``send``: ``submit_sm`` per part (GSM-7 when every character is in GSM 03.38, else UCS-2; longer
  texts are split with a UDH by ``smpplib.gsm.make_parts``); the ``message_id`` of the first part's
  ``submit_sm_resp`` is the provider id. Outcomes as gateways.py defines them:

  * not connected / bind refused / connection broken before the ``submit_sm`` went out → ``retry``
    (the SMSC surely has nothing);
  * ``submit_sm_resp`` with ``ESME_RTHROTTLED`` or ``ESME_RMSGQFUL`` → ``retry`` (back-off in the
    dispatcher); any other error status → ``failed`` with the code (``smpp:0x0000000b``);
  * connection dropped or timed out after the ``submit_sm`` went out, before its answer → ``unknown``
    (the answer was lost: the SMSC most likely has it). Never resent: without a message id nothing
    can be looked up, so it stays *unknown (answer lost)* for a person to decide.

- ``poll``: reads what the SMSC sent meanwhile and answers it (``deliver_sm_resp``,
  ``enquire_link_resp``); delivery receipts (``deliver_sm`` whose ``esm_class`` says receipt) come
  back as ``Receipt`` with the outbox's provider status (``delivered`` / ``undelivered`` / ``failed``
  / ``sent``), to be applied by ``smpp_receipts.apply_receipts``.
- ``fetch``: ``query_sm`` when the SMSC supports it (``None`` when it does not or does not know the id).
"""

from __future__ import annotations

import logging
import re
import select
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from .gateways import Channel, Gateway, SendResult
from .segments import is_gsm7

__all__ = ["RECEIPT_STATUS", "Receipt", "SmppGateway", "parse_receipt", "smpp_configured"]

log = logging.getLogger("safetyops.sms")

ESME_ROK = 0x00
ESME_RMSGQFUL = 0x14
ESME_RINVDSTADR = 0x0B
ESME_RTHROTTLED = 0x58
#: submit_sm_resp statuses after which sending again later is safe and useful.
RETRY_STATUSES = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL})

#: Receipt ``stat:`` words (SMPP 3.4 appendix B) -> the provider statuses the outbox knows
#: (dispatcher.PROVIDER_STATUS, the same words as Twilio's callbacks). UNKNOWN changes nothing.
RECEIPT_STATUS = {
    "DELIVRD": "delivered",
    "ACCEPTD": "sent",
    "ENROUTE": "sent",
    "UNDELIV": "undelivered",
    "EXPIRED": "undelivered",
    "REJECTD": "failed",
    "DELETED": "failed",
}

#: query_sm_resp / receipt message_state (SMPP 3.4 5.2.28) -> stat word.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

_RECEIPT_RE = re.compile(r"id:(?P<id>\S+).*?stat:(?P<stat>[A-Z]+)(?:.*?err:(?P<err>\w+))?", re.S)


def smpp_configured(settings: Mapping[str, object]) -> bool:
    """True when the settings name an SMSC (SMPP_HOST)."""
    return bool(str(settings.get("SMPP_HOST") or "").strip())


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00")
    return str(value)


def _code(status: int) -> str:
    return f"smpp:{status:#010x}"


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt from the SMSC."""

    #: the message id the SMSC gave in submit_sm_resp
    message_id: str
    #: the receipt's stat word (DELIVRD, UNDELIV, REJECTD, EXPIRED…)
    stat: str
    #: the receipt's err field ("000"), network-specific
    err: str = ""

    @property
    def status(self) -> str | None:
        """The outbox's provider status for it (None: tells nothing, e.g. UNKNOWN)."""
        return RECEIPT_STATUS.get(self.stat)

    @property
    def error_code(self) -> str | None:
        if self.status in (None, "delivered", "sent"):
            return None
        return f"{self.stat}:{self.err}" if self.err else self.stat


def parse_receipt(pdu: object) -> Receipt | None:
    """The receipt in a deliver_sm (None when it is an ordinary incoming message)."""
    esm_class = int(getattr(pdu, "esm_class", 0) or 0)
    text = _text(getattr(pdu, "short_message", None))
    match = _RECEIPT_RE.search(text)
    if not esm_class & 0x3C and match is None:
        return None
    message_id = _text(getattr(pdu, "receipted_message_id", None)) or (match.group("id") if match else "")
    stat = match.group("stat") if match else ""
    state = getattr(pdu, "message_state", None)
    if not stat and state is not None:
        stat = MESSAGE_STATES.get(int(state), "UNKNOWN")
    if not message_id or not stat:
        return None
    return Receipt(message_id, stat, (match.group("err") or "") if match else "")


class _NotSent(Exception):
    """Nothing reached the SMSC (not connected, bind refused, write failed): safe to retry."""

    def __init__(self, status: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class SmppGateway:
    """SMPP 3.4 client gateway (``bind_transceiver``), see the module's docstring."""

    name = "smpp"

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        source_addr: str,
        *,
        system_type: str = "",
        timeout: float = 10,
        logger: logging.Logger | None = None,
    ) -> None:
        if not host or not system_id:
            raise ValueError("SmppGateway needs a host and a system_id")
        self.host = host
        self.port = int(port)
        self.system_id = system_id
        self.password = password
        self.system_type = system_type
        self.source_addr = source_addr or ""
        self.timeout = float(timeout)
        self.logger = logger or log
        self.query_supported: bool | None = None
        self._client = None
        self._lock = threading.RLock()
        self._receipts: list[Receipt] = []

    # ------------------------------------------------------------------ connection

    def _source(self) -> dict[str, object]:
        digits = self.source_addr.lstrip("+")
        if digits.isdigit():
            return {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": digits}
        return {"source_addr_ton": 5, "source_addr_npi": 0, "source_addr": self.source_addr}  # alphanumeric

    def _bound(self):
        """The bound client, connecting and binding first when needed (raises _NotSent)."""
        import smpplib.client
        import smpplib.exceptions

        if self._client is not None:
            self._drain()  # reads receipts, and finds out when the SMSC closed an idle connection
        if self._client is not None:
            return self._client
        client = smpplib.client.Client(
            self.host,
            self.port,
            timeout=self.timeout,
            allow_unknown_opt_params=True,
            logger_name="safetyops.sms.smpplib",
        )
        try:
            client.connect()
            self._no_delay(client)
            client.bind_transceiver(system_id=self.system_id, password=self.password, system_type=self.system_type)
        except smpplib.exceptions.PDUError as exc:
            self._close(client)
            status = exc.args[1] if len(exc.args) > 1 else 0
            raise _NotSent("bind-failed", f"bind refused: {exc.args[0]}", _code(int(status))) from exc
        except (smpplib.exceptions.ConnectionError, OSError) as exc:
            self._close(client)
            raise _NotSent("connect-error", f"cannot bind to {self.host}:{self.port}: {exc!r}") from exc
        self._client = client
        self.logger.info("smpp bound to %s:%s as %s", self.host, self.port, self.system_id)
        return client

    @staticmethod
    def _no_delay(client) -> None:
        """Each PDU goes out at once (no Nagle delay behind the previous one still unacknowledged)."""
        sock = getattr(client, "_socket", None)
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    @staticmethod
    def _close(client) -> None:
        from smpplib import consts

        client.state = consts.SMPP_CLIENT_STATE_OPEN  # closing a bound connection on purpose: no warning
        try:
            client.disconnect()
        except Exception:  # noqa: BLE001 - already broken
            pass
        client._socket = None  # smpplib warns in __del__ about a socket it still holds

    def _drop(self) -> None:
        if self._client is not None:
            self._close(self._client)
            self._client = None

    def close(self) -> None:
        """Unbind and close the connection."""
        with self._lock:
            client, self._client = self._client, None
            if client is not None:
                try:
                    client.unbind()
                except Exception:  # noqa: BLE001 - closing anyway
                    pass
                self._close(client)

    # ------------------------------------------------------------------ incoming PDUs

    def _handle(self, client, pdu) -> None:
        """Answer an SMSC-initiated PDU; keep receipts."""
        import smpplib.smpp

        if pdu.command == "deliver_sm":
            receipt = parse_receipt(pdu)
            if receipt is not None:
                self._receipts.append(receipt)
                self.logger.info("smpp receipt %s %s err=%s", receipt.message_id, receipt.stat, receipt.err)
            resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif pdu.command == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif pdu.command == "unbind":
            resp = smpplib.smpp.make_pdu("unbind_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
            self._drop()

    def _readable(self, wait: float) -> bool:
        sock = getattr(self._client, "_socket", None)
        if sock is None:
            return False
        try:
            ready, _, _ = select.select([sock], [], [], wait)
        except (OSError, ValueError):
            return True  # let the read find out what is wrong
        return bool(ready)

    def _drain(self, wait: float = 0) -> None:
        """Handle every PDU already waiting (after `wait` seconds at most for the first one)."""
        import smpplib.exceptions

        while self._client is not None and self._readable(wait):
            wait = 0
            try:
                pdu = self._client.read_pdu()
                self._handle(self._client, pdu)
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                self.logger.info("smpp connection to %s:%s closed: %r", self.host, self.port, exc)
                self._drop()

    def _await(self, client, sequence: int, command: str):
        """Read until the answer to `sequence` (handling receipts meanwhile). Raises socket.timeout or
        smpplib's ConnectionError when the answer does not come."""
        while True:
            pdu = client.read_pdu()
            if pdu.sequence == sequence and pdu.command in (command, "generic_nack"):
                return pdu
            self._handle(client, pdu)

    def poll(self, wait: float = 0) -> list[Receipt]:
        """Receipts that arrived (waiting up to `wait` seconds for something to read); binds when needed.
        Never raises for a connection problem (logs it; the next poll binds again)."""
        sock = None
        with self._lock:
            try:
                sock = getattr(self._bound(), "_socket", None)
            except _NotSent as exc:
                self.logger.warning("smpp listener: %s", exc)
        if sock is not None and wait > 0:  # wait outside the lock: the sender may use the connection
            try:
                select.select([sock], [], [], wait)
            except (OSError, ValueError):
                pass  # closed meanwhile by the sender
        with self._lock:
            self._drain(0)
            receipts, self._receipts = self._receipts, []
        return receipts

    @property
    def is_bound(self) -> bool:
        return self._client is not None

    # ------------------------------------------------------------------ sending

    def _parts(self, body: str) -> tuple[list[bytes], int, int]:
        from smpplib import consts, gsm

        encoding = consts.SMPP_ENCODING_DEFAULT if is_gsm7(body) else consts.SMPP_ENCODING_ISO10646
        parts, data_coding, esm_class = gsm.make_parts(body, encoding=encoding)
        return parts, data_coding, esm_class

    def send(self, to: str, body: str, *, channel: Channel = "sms", status_callback: str | None = None) -> SendResult:
        import smpplib.exceptions
        from smpplib import consts

        if channel != "sms":
            return SendResult("failed", None, "channel-unsupported", "channel", f"SMPP sends SMS only, not {channel}")
        parts, data_coding, esm_class = self._parts(body)
        first_id: str | None = None
        with self._lock:
            for n, part in enumerate(parts, 1):
                try:
                    client = self._bound()
                    try:
                        pdu = client.send_message(
                            **self._source(),
                            dest_addr_ton=1,
                            dest_addr_npi=1,
                            destination_addr=to.lstrip("+"),
                            short_message=part,
                            data_coding=data_coding,
                            esm_class=esm_class,
                            registered_delivery=consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
                        )
                    except smpplib.exceptions.ConnectionError as exc:
                        self._drop()
                        raise _NotSent("connect-error", f"write failed: {exc!r}") from exc
                    resp = self._await(client, pdu.sequence, "submit_sm_resp")
                except _NotSent as exc:
                    result = SendResult("retry", None, exc.status, exc.code, str(exc))
                    if first_id is None:
                        return self._log(to, result)
                    return self._log(to, self._partial(first_id, n, len(parts), str(exc)))
                except TimeoutError as exc:
                    self._drop()  # a late answer must not be read as another message's
                    return self._log(
                        to,
                        SendResult(
                            "unknown",
                            first_id,
                            "timeout",
                            None,
                            f"no submit_sm_resp in {self.timeout} s for part {n}: {exc!r}",
                        ),
                    )
                except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                    self._drop()
                    return self._log(
                        to,
                        SendResult(
                            "unknown",
                            first_id,
                            "connection-lost",
                            None,
                            f"connection lost before submit_sm_resp of part {n}: {exc!r}",
                        ),
                    )
                status = int(resp.status or 0)
                if status != ESME_ROK:
                    desc = consts.DESCRIPTIONS.get(status, "error")
                    if first_id is not None:
                        return self._log(to, self._partial(first_id, n, len(parts), desc))
                    if status in RETRY_STATUSES:
                        return self._log(to, SendResult("retry", None, "throttled", _code(status), desc))
                    return self._log(to, SendResult("failed", None, f"smpp-{status:#x}", _code(status), desc))
                if first_id is None:
                    first_id = _text(getattr(resp, "message_id", None)) or None
        return self._log(to, SendResult("accepted", first_id, "sent"))

    @staticmethod
    def _partial(first_id: str, n: int, total: int, why: str) -> SendResult:
        """Part `n` refused after the first ones were accepted: the person has part of the text."""
        return SendResult("unknown", first_id, "partial", None, f"part {n} of {total} not accepted: {why}")

    def _log(self, to: str, result: SendResult) -> SendResult:
        self.logger.info(
            "smpp sms to %s: %s id=%s status=%s code=%s",
            to,
            result.outcome,
            result.provider_id,
            result.status,
            result.error_code,
        )
        return result

    # ------------------------------------------------------------------ lookups

    def fetch(self, provider_id: str) -> SendResult | None:
        """``query_sm``: the message's state at the SMSC. None when the SMSC does not support query_sm
        or does not know the id; outcome ``unknown`` when the lookup itself failed."""
        import smpplib.exceptions

        if self.query_supported is False:
            return None
        with self._lock:
            try:
                client = self._bound()
                pdu = client.query_message(message_id=provider_id, **self._source())
                resp = self._await(client, pdu.sequence, "query_sm_resp")
            except _NotSent as exc:
                return SendResult("unknown", provider_id, "lookup-failed", exc.code, str(exc))
            except (TimeoutError, smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                self._drop()
                return SendResult("unknown", provider_id, "lookup-failed", None, repr(exc))
        if resp.command == "generic_nack":
            self.query_supported = False
            self.logger.info("smpp: the SMSC does not support query_sm")
            return None
        if int(resp.status or 0) != ESME_ROK:
            return None
        self.query_supported = True
        stat = MESSAGE_STATES.get(int(getattr(resp, "message_state", 7) or 7), "UNKNOWN")
        status = RECEIPT_STATUS.get(stat)
        if status is None:
            return SendResult("unknown", provider_id, None)
        outcome = "accepted" if status in ("sent", "delivered") else "failed"
        return SendResult(outcome, provider_id, status, None if outcome == "accepted" else stat)

    def __enter__(self) -> SmppGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def smpp_factory(settings: Mapping[str, object]) -> Gateway:
    def get(key: str) -> str:
        return str(settings.get(key) or "").strip()

    missing = [k for k in ("SMPP_HOST", "SMPP_PORT", "SMPP_SYSTEM_ID", "SMPP_SOURCE_ADDR") if not get(k)]
    if missing:
        raise ValueError(f"SMPP gateway is not configured: missing {', '.join(missing)}")
    return SmppGateway(
        get("SMPP_HOST"),
        int(get("SMPP_PORT")),
        get("SMPP_SYSTEM_ID"),
        get("SMPP_PASSWORD"),
        get("SMPP_SOURCE_ADDR"),
        system_type=get("SMPP_SYSTEM_TYPE"),
        timeout=float(get("SMPP_TIMEOUT") or 10),
    )

