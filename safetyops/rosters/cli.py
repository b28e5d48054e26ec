"""`safetyops rosters …`"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("rosters")
def cli():
    """Duty rosters."""


@cli.command("import-staff")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school-id", type=int, required=True)
@with_appcontext
def import_staff(path, school_id):
    """Import staff from a CSV or XLSX file (columns: name, phone, role, language).

    Every bad row is reported; if any row is bad nothing is saved.  Importing the same file
    again changes nothing."""
    from ..extensions import db
    from ..schools.models import School
    from . import staff_import

    school = db.session.get(School, school_id)
    if school is None:
        raise click.BadParameter("no such school", param_hint="--school-id")
    try:
        rows = staff_import.read_rows(path.name, path.read_bytes())
        with click.progressbar(length=len(rows) - 1, label="Checking") as bar:
            checked = staff_import.check(school, rows, progress=bar.update)
        if checked.problems:
            raise staff_import.ImportFailed(checked.problems)
        with click.progressbar(length=max(len(checked.new), 1), label="Saving  ") as bar:
            made = staff_import.apply(None, school, checked, progress=bar.update)
    except staff_import.ImportFailed as err:
        db.session.rollback()
        for problem in err.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(err.problems)} problem(s); nothing was imported.") from err
    db.session.commit()
    click.echo(f"{len(made)} new, {len(checked.unchanged)} already on the staff.")
