"""Configuration: defaults, then the instance file, then SAFETYOPS_* environment
variables, then the mapping given to `create_app` (tests)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

LANGUAGES = ("ky", "ru", "kk", "en")

DEFAULTS = {
    # SAFETYOPS_DATABASE_URL; empty means a SQLite file in the instance folder.
    "DATABASE_URL": "",
    # SAFETYOPS_SECRET_KEY; empty means the key kept in the instance folder.
    "SECRET_KEY": "",
    "DEFAULT_LOCALE": "ky",
    "DEFAULT_TIMEZONE": "Asia/Bishkek",
    # Sign-in throttling (Flask-Limiter; auth/throttle.py).  A Redis URI shares the counts between workers.
    # Failed sign-ins are counted per account (the login normalised: every spelling of a phone number
    # is one account), per client address and per account and address.
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per minute",
    "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "5 per minute;20 per hour",
    # Per account from every address: no lockout, a delay that doubles with each consecutive failure
    # past the free ones.  A browser where the account signed in before is exempt (its own budget).
    "LOGIN_LIMIT_ACCOUNT_FREE_FAILURES": 10,
    "LOGIN_LIMIT_ACCOUNT_DELAY": 2,  # seconds, the first delay
    "LOGIN_LIMIT_ACCOUNT_MAX_DELAY": 60,  # seconds
    # A one-time password set by the director expires this long after it was issued.
    "ONE_TIME_PASSWORD_HOURS": 24,
    # Password hashing: argon2id, OWASP ASVS 5.0 minimum is t=2, m=19 MiB.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,  # KiB
    "ARGON2_PARALLELISM": 1,
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "SESSION_HOURS": 12,
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    "TRUST_PROXY": 0,  # number of reverse proxies in front (ProxyFix)
    # SAFETYOPS_AUDIT_RETENTION_DAYS: audit events older than this are purged nightly (3 years); 0 = keep forever.
    "AUDIT_RETENTION_DAYS": 1096,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Secure is also set per request when it came over HTTPS (security.SessionInterface).
    "SESSION_COOKIE_SECURE": False,
    # A form left open on a phone all day must still submit: tokens expire with the session.
    "WTF_CSRF_TIME_LIMIT": None,
    # SMS: "console" (log only) or "twilio"; PUBLIC_URL builds Twilio's status-callback URL.
    "SMS_GATEWAY": "console",
    "PUBLIC_URL": "",
    "TWILIO_API_BASE": "",
    "SMS_LOG_FILE": "",
    # Issue 16: som per SMS part (0: not set), one message per person per event (docs/notifications.md).
    "SMS_PRICE_PER_SEGMENT_SOM": 0,
    "SMS_DEDUP_WINDOW_MIN": 60,
    "SMS_MERGE_HOLD_S": 60,
    "SMS_MERGE_MAX_SEGMENTS": 2,
    "SMS_UNKNOWN_GIVE_UP_S": 900,
    # Issue 16: an in-country route, SMPP 3.4 to an operator's or aggregator's SMSC (a school chooses it).
    "SMPP_HOST": "",
    "SMPP_PORT": 2775,
    "SMPP_SYSTEM_ID": "",
    "SMPP_PASSWORD": "",
    "SMPP_SYSTEM_TYPE": "",
    "SMPP_SOURCE_ADDR": "",
    "SMPP_TIMEOUT": 10,
    # Issue 16: Telegram as a free channel (docs/notifications.md). No token: the channel is off.
    "TELEGRAM_BOT_TOKEN": "",
    "TELEGRAM_BOT_NAME": "",
    "TELEGRAM_API_BASE": "",
    "TELEGRAM_WEBHOOK_SECRET": "",
    "TELEGRAM_READ_WAIT_MIN": 5,
    "TELEGRAM_LINK_TTL_MIN": 30,
    "TELEGRAM_TIMEOUT": 10,
}

#: Twilio credentials come from the environment variables of these very names.
TWILIO_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "TWILIO_MESSAGING_SERVICE_SID")


def _sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "safetyops.sqlite3")


def secret_key_file(instance_path: str) -> Path:
    return Path(instance_path) / "secret_key"


def ensure_secret_key(instance_path: str) -> str:
    """Create the instance folder and its secret key file (CLI `serve`/`demo` call this)."""
    path = secret_key_file(instance_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def load(app, overrides: dict | None) -> None:
    app.config.update(DEFAULTS)
    app.config.from_pyfile("safetyops.cfg", silent=True)
    app.config.from_prefixed_env("SAFETYOPS")
    for key in TWILIO_ENV:
        app.config.setdefault(key, os.environ.get(key, ""))
    if overrides:
        app.config.update(overrides)
    cfg = app.config
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = _sqlite_url(app.instance_path)
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    if not cfg["SECRET_KEY"]:
        path = secret_key_file(app.instance_path)
        # No key configured and none kept yet: an ephemeral one (sessions end at restart).
        cfg["SECRET_KEY"] = path.read_text().strip() if path.exists() else secrets.token_urlsafe(48)
        cfg["SECRET_KEY_EPHEMERAL"] = not path.exists()
    cfg["BABEL_DEFAULT_LOCALE"] = cfg["DEFAULT_LOCALE"]
    cfg["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(cfg["SQLALCHEMY_DATABASE_URI"], cfg)


def engine_options(url: str, cfg) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": cfg["SQLITE_BUSY_TIMEOUT_MS"] / 1000, "check_same_thread": False}}
    return {"pool_pre_ping": True}
