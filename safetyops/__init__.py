"""SafetyOps: school physical and fire safety operations."""

from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict | None = None) -> Flask:
    """Build the application.  Starts nothing, opens nothing, writes nothing."""
    from . import config as config_mod
    from . import input_guard
    from .paths import resource_dir
    from .uow import App

    app = App(
        __name__,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=(config or {}).get("INSTANCE_PATH") or _instance_path_from_env(),
    )
    config_mod.load(app, config)
    _init_extensions(app)
    input_guard.init_app(app)  # before _register: blueprints' rules need the bounded <int:> converter
    _register(app)
    return app


def _instance_path_from_env():
    import os

    return os.environ.get("SAFETYOPS_INSTANCE_PATH") or None


def _init_extensions(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import database, i18n, static_files
    from .auth import services as auth_services
    from .database import configure_engine
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .paths import resource_dir
    from .security import SessionInterface

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    database.init_app(app)  # SQLite: no write lock held while a template renders
    static_files.init_app(app)  # compression; fingerprinted static URLs cached for a year
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(resource_dir("translations")),
    )
    login_manager.init_app(app)
    login_manager.user_loader(auth_services.load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    limiter.init_app(app)
    app.session_interface = SessionInterface()
    if app.config["TRUST_PROXY"]:
        n = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)


def _register(app: Flask) -> None:
    import datetime as dt

    from flask_babel import format_date, format_datetime, format_time

    from . import access, areas, cli, errors, i18n, menu, phones, security, uow
    from .i18n import LANGUAGE_NAMES

    cli.register(app)
    areas.register(app)  # every area's register(app): blueprints, commands, permissions, menu, cards, texts

    app.permanent_session_lifetime = dt.timedelta(hours=app.config["SESSION_HOURS"])
    app.before_request(_set_audit_source)
    app.before_request(access.load_place)
    app.before_request(access.enforce)
    app.after_request(security.set_headers)
    errors.register(app)
    uow.init_app(app)

    @app.context_processor
    def _globals():
        return {"can": access.can, "LANGUAGE_NAMES": LANGUAGE_NAMES, **menu.template_globals()}

    app.jinja_env.globals["field_attrs"] = menu.field_attrs
    app.jinja_env.filters["phone"] = phones.pretty
    app.jinja_env.filters["date"] = lambda v, fmt="medium": format_date(v, fmt) if v else ""
    app.jinja_env.filters["day"] = i18n.format_day
    app.jinja_env.filters["datetime"] = lambda v, fmt="short": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["time"] = lambda v, fmt="short": format_time(v, fmt) if v else ""


def _set_audit_source() -> None:
    from flask import request

    from .audit.services import audit_source

    audit_source.set((request.remote_addr or "")[:64])
