"""`safetyops checklists validate [PATH]` and `safetyops checklists sync [PATH]`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("checklists")
def cli():
    """Checklist templates (YAML files in checklists/)."""


@cli.command()
@click.argument("path", required=False, type=click.Path(exists=True))
def validate(path):
    """Validate templates (the shipped folder by default); print every error with file, line and field."""
    from .services import validate_path

    valid, errors = validate_path(path)
    for error in errors:
        click.echo(str(error), err=True)
    click.echo(f"{valid} template(s) valid, {len(errors)} error(s)")
    if errors:
        raise SystemExit(1)


@cli.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@with_appcontext
def sync(path):
    """Store new template versions in the database; a broken file keeps its last good version."""
    from ..extensions import db
    from .services import sync_templates

    report = sync_templates(path)
    db.session.commit()
    for error in report.errors:
        click.echo(str(error), err=True)
    click.echo(f"new versions: {', '.join(report.added) or 'none'}; unchanged: {len(report.unchanged)}; "
               f"errors: {len(report.errors)}")
    if report.errors:
        raise SystemExit(1)
