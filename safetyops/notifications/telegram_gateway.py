"""The Telegram Bot API through pyTelegramBotAPI (`telebot`, synchronous, on `requests`).

Pure Python (no Flask, no database), like gateways.py. ``send`` returns a `SendResult`:

- ``accepted``: sendMessage answered ok; ``provider_id`` is ``tg:<chat>:<message_id>``.
- ``failed``: Telegram refused it for good: 403 (the person blocked the bot), 400 (chat not found,
  bad request), 401/404 (bad token).
- ``retry``: 429 (``retry_after`` from the answer) or the connection failed before sending.
- ``unknown``: 5xx, a timeout, a dropped or unreadable answer (Telegram may have delivered it).

The dispatcher sends an SMS after anything but ``accepted`` (telegram.after_send).

``api_base`` points the library at another server (a local stand-in in tests): telebot reads the
module setting ``apihelper.API_URL``, so it is one per process (one bot per SafetyOps instance).
"""

from __future__ import annotations

import logging
from typing import Any

from .gateways import SendResult, classify_transport_error

__all__ = ["TelegramGateway", "classify_telegram_error", "READ_PREFIX"]

#: callback_data of the "Read" button: "read:<outbox id>".
READ_PREFIX = "read:"


def classify_telegram_error(exc: Exception) -> SendResult:
    """A telebot ApiException as a SendResult (see the module's docstring)."""
    from telebot.apihelper import ApiHTTPException, ApiInvalidJSONException, ApiTelegramException

    if isinstance(exc, ApiTelegramException):
        code = int(exc.error_code or 0)
        text = str(exc.description or "")[:500]
        status = f"http-{code}"
        if code == 429:
            params = (getattr(exc, "result_json", None) or {}).get("parameters") or {}
            retry_after = params.get("retry_after")
            return SendResult(
                "retry",
                None,
                status,
                "429",
                text,
                float(retry_after) if isinstance(retry_after, (int, float)) else None,
            )
        if code >= 500:
            return SendResult("unknown", None, status, str(code), text)
        return SendResult("failed", None, status, str(code), text)
    if isinstance(exc, ApiHTTPException):  # a non-200 answer without Telegram's JSON
        code = int(getattr(exc.result, "status_code", 0) or 0)
        if code >= 500 or not code:
            return SendResult("unknown", None, f"http-{code}", str(code), str(exc)[:500])
        return SendResult("failed", None, f"http-{code}", str(code), str(exc)[:500])
    if isinstance(exc, ApiInvalidJSONException):
        return SendResult("unknown", None, "bad-response", None, str(exc)[:500])
    return SendResult("unknown", None, "error", None, f"{type(exc).__name__}: {exc}"[:500])


class TelegramGateway:
    """One bot: sendMessage (with an optional "Read" button), answerCallbackQuery, getUpdates."""

    name = "telegram"

    def __init__(
        self, token: str, api_base: str | None = None, timeout: float = 10, logger: logging.Logger | None = None
    ) -> None:
        from telebot import TeleBot, apihelper

        if not token:
            raise ValueError("TelegramGateway needs a bot token")
        apihelper.API_URL = (api_base.rstrip("/") + "/bot{0}/{1}") if api_base else None
        self.bot = TeleBot(token, threaded=False, validate_token=False)
        self.timeout = timeout
        self.logger = logger or logging.getLogger("safetyops.telegram")

    def send(self, chat_id: int | str, body: str, *, read_button: tuple[str, int] | None = None) -> SendResult:
        """Send `body` to `chat_id`; `read_button` (label, outbox id) adds an inline "Read" button."""
        from telebot.apihelper import ApiException
        from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

        markup = None
        if read_button is not None:
            markup = InlineKeyboardMarkup()
            markup.add(InlineKeyboardButton(read_button[0], callback_data=f"{READ_PREFIX}{read_button[1]}"))
        try:
            message = self.bot.send_message(chat_id, body, reply_markup=markup, timeout=self.timeout)
        except ApiException as exc:
            result = classify_telegram_error(exc)
        except OSError as exc:  # requests.RequestException
            result = classify_transport_error(exc)
        except ValueError as exc:  # a 200 whose body is not a Message
            result = SendResult("unknown", None, "bad-response", None, f"{type(exc).__name__}: {exc}"[:500])
        else:
            result = SendResult("accepted", f"tg:{chat_id}:{message.message_id}", "sent")
        self.logger.info("telegram to %s: %s %s %s", chat_id, result.outcome, result.status, result.error_code)
        return result

    def answer_callback(self, callback_query_id: str, text: str) -> bool:
        """Tell Telegram the button press was handled (the person sees `text`). False when that failed."""
        from telebot.apihelper import ApiException

        try:
            self.bot.answer_callback_query(callback_query_id, text=text)
        except (ApiException, OSError, ValueError) as exc:
            self.logger.warning("answerCallbackQuery failed: %s", exc)
            return False
        return True

    def reply(self, chat_id: int | str, text: str) -> bool:
        from telebot.apihelper import ApiException

        try:
            self.bot.send_message(chat_id, text, timeout=self.timeout)
        except (ApiException, OSError, ValueError) as exc:
            self.logger.warning("telegram reply to %s failed: %s", chat_id, exc)
            return False
        return True

    def updates(self, offset: int | None) -> list[Any] | None:
        """Pending updates (short poll) as telebot Update objects; None when the call failed."""
        from telebot.apihelper import ApiException

        try:
            return self.bot.get_updates(
                offset=offset,
                timeout=self.timeout,
                long_polling_timeout=0,
                allowed_updates=["message", "callback_query"],
            )
        except (ApiException, OSError, ValueError) as exc:
            self.logger.warning("getUpdates failed: %s", exc)
            return None

    def close(self) -> None:
        pass
