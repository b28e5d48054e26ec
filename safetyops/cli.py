"""The `safetyops` console script: a FlaskGroup, so `routes`, `shell` and `db` come for free."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .backup import backup_sqlite
from .backup import sqlite_path as _sqlite_path
from .config import ensure_secret_key


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main():
    """SafetyOps: school safety operations."""


def prepare_instance(app) -> None:
    """Make the instance folder and keep a stable secret key in it (first start)."""
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("SECRET_KEY_EPHEMERAL"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)
        app.config["SECRET_KEY_EPHEMERAL"] = False


def upgrade_database(app) -> None:
    from flask_migrate import upgrade

    prepare_instance(app)
    upgrade()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host, port, threads):
    """Run the production server (waitress), creating or upgrading the database first.

    The socket is bound before the serve hooks start the scheduler: catching up on missed
    sweeps and the nightly backup run later, in the background, one after another
    (scheduler.service.CATCHUP_DELAY_S / CATCHUP_STAGGER_S)."""
    import logging

    import waitress

    app = current_app._get_current_object()
    upgrade_database(app)
    logging.basicConfig()  # as waitress.serve does
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="SafetyOps")  # binds now
    for hook in app.extensions.get("safetyops_serve_hooks", []):
        hook(app)
    click.echo(f"SafetyOps on http://{host}:{port}  (Ctrl+C to stop)")
    server.run()  # until Ctrl+C


@click.command()
@click.option("--password", default="safetyops", show_default=True, help="Password of every demo account.")
@with_appcontext
def demo(password):
    """Create the database if needed and fill it with a realistic demo."""
    from .demo import build_demo

    app = current_app._get_current_object()
    upgrade_database(app)
    logins = build_demo(password)
    click.echo("Demo ready. Sign in at http://127.0.0.1:8000 with:")
    for username, label in logins:
        click.echo(f"  {username:<16} {password:<12} {label}")


@click.group()
def users():
    """Manage accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--phone", default=None)
@click.option("--locale", default="ky", type=click.Choice(["ky", "ru", "kk", "en"]))
@click.option("--school-id", type=int, default=None, help="Give a role at this school.")
@click.option("--role", default=None)
@click.password_option()
@with_appcontext
def users_create(username, full_name, phone, locale, school_id, role, password):
    """Create an account (and optionally its role at a school)."""
    from .auth.roles import Role
    from .errors_service import ServiceError
    from .extensions import db
    from .phones import normalize_phone
    from .schools.models import School
    from .schools.services import create_user

    school = db.session.get(School, school_id) if school_id else None
    if school_id and school is None:
        raise click.BadParameter("no such school", param_hint="--school-id")
    if role and role not in {r.value for r in Role}:
        raise click.BadParameter(f"one of {', '.join(r.value for r in Role)}", param_hint="--role")
    e164 = None
    if phone:
        e164 = normalize_phone(phone, school.country if school else "KG")
        if e164 is None:
            raise click.BadParameter("not a valid phone number", param_hint="--phone")
    try:
        user = create_user(full_name=full_name, username=username, password=password, phone=e164, locale=locale,
                           school=school, role=role)
    except ServiceError as err:
        raise click.ClickException(str(err.message)) from err
    db.session.commit()
    click.echo(f"created {user.username} (id {user.id})")


@users.command("grant")
@click.argument("username")
@click.option("--school-id", type=int, required=True)
@click.option("--role", required=True)
@with_appcontext
def users_grant(username, school_id, role):
    """Give a person a role at a (further) school."""
    import sqlalchemy as sa

    from .audit.services import record
    from .auth.models import User
    from .auth.roles import SCHOOL_ROLES, Role
    from .extensions import db
    from .schools.models import Membership, School

    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    school = db.session.get(School, school_id)
    if user is None or school is None:
        raise click.ClickException("no such user or school")
    if role not in {r.value for r in SCHOOL_ROLES}:
        raise click.BadParameter(f"one of {', '.join(r.value for r in SCHOOL_ROLES)}", param_hint="--role")
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id,
                                                               Membership.school_id == school.id))
    if membership is None:
        membership = Membership(user_id=user.id, school_id=school.id, role=Role(role))
        db.session.add(membership)
    membership.role = Role(role)
    record(None, school, "staff.grant", user, detail=f"role={role}")
    db.session.commit()
    click.echo(f"{user.username} is {role} at {school.name}")


def _pg_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path):
    """Back up the database to PATH (SQLite: online backup API; PostgreSQL: pg_dump -Fc)."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db_file = _sqlite_path(url)
    if db_file is not None:
        backup_sqlite(db_file, path)
    else:
        if not shutil.which("pg_dump"):
            raise click.ClickException("pg_dump is not installed")
        subprocess.run(["pg_dump", "-Fc", "-f", str(path), _pg_url(url)], check=True)
    click.echo(f"backup written to {path}")


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="Replace the current database with this backup?")
@with_appcontext
def restore(path):
    """Replace the database with a backup made by `safetyops backup`."""
    from .extensions import db

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db_file = _sqlite_path(url)
    db.session.remove()
    db.engine.dispose()
    if db_file is not None:
        with sqlite3.connect(path) as source, sqlite3.connect(db_file) as target:
            source.backup(target)
        source.close()
        target.close()
    else:
        if not shutil.which("pg_restore"):
            raise click.ClickException("pg_restore is not installed")
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", _pg_url(url), str(path)],
                       check=True)
    click.echo(f"restored from {path}")


def register(app) -> None:
    """The foundation's commands, on `app.cli` (so `safetyops …` and test runners see them)."""
    for command in (serve, demo, users, backup, restore):
        app.cli.add_command(command)
