"""One unit of work per request: views never commit.

- After the view has returned (and rendered its page), `finish()` commits the request's work
  when the response is a success (status below 400) and rolls it back otherwise; an exception
  rolls it back (`_teardown`).  So a request commits at most once, nothing half-done is
  stored, and no transaction is committed before the page is rendered (which would make
  SQLAlchemy reload every listed row one by one).
- `step(form)` runs one service call inside a SAVEPOINT: a `ServiceError` undoes just that
  call and is shown beside the form's field (or flashed when there is no form), so what the
  person typed is kept and the view reads as load → validate → step → redirect::

      if form.validate_on_submit():
          with step(form) as done:
              services.save_zone(current_user, g.school, zone, **form.data)
          if done:
              flash(_("Saved."), "success")
              return redirect(url_for("schools.zones"))
      return render_template(...)

- `@personal_data("staff.read")` declares that a view shows personal data.  `finish()` then
  writes the audit event of the read, once the page was rendered without error, in the same
  commit; `audit_read(obj, detail)` names the record read (optional).  A view that shows
  personal data cannot forget its audit event: the declaration is checked by
  tests/test_personal_data_audit.py.
"""

from __future__ import annotations

from flask import Flask, Response, flash, g, has_request_context, request
from flask_login import current_user

from .audit.services import record
from .database import unit_of_work_memo
from .errors_service import ServiceError
from .extensions import db


class App(Flask):
    """Flask with the unit of work wrapped around every view."""

    def dispatch_request(self):
        with unit_of_work_memo():  # services' per-request memo (safetyops.database.unit_memo)
            return finish(self.make_response(super().dispatch_request()))


def init_app(app: Flask) -> None:
    app.teardown_request(_teardown)


def finish(response: Response) -> Response:
    """Commit the request's work if the response is a success, else roll it back."""
    if response.status_code >= 400:
        db.session.rollback()
        return response
    action = _declared_read() if response.status_code < 300 else None  # a redirect showed nothing
    if action is not None:
        reads = g.pop("_audit_reads", None) or [(None, "")]
        school = getattr(g, "school", None)
        for obj, detail in reads:
            record(current_user if current_user.is_authenticated else None, school, action, obj, detail=detail)
    db.session.commit()
    return response


def _teardown(exc) -> None:
    if exc is not None:
        db.session.rollback()


def release() -> None:
    """End the request's transaction before slow work that needs none (hashing a password or a PIN).

    What the request did so far is committed: call it only where that is the request's own
    complete first step (a read, a counter), never between two halves of one change."""
    db.session.commit()


# --- one service call, undone alone on ServiceError -----------------------------------------------------


class _Step:
    def __init__(self, form, flash_category: str):
        self.form = form
        self.flash_category = flash_category
        self.ok = False
        self.error: ServiceError | None = None
        self._savepoint = None

    def __bool__(self) -> bool:
        return self.ok

    def __enter__(self) -> _Step:
        self._savepoint = db.session.begin_nested()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            if self._savepoint.is_active:
                self._savepoint.commit()
            self.ok = True
            return False
        if self._savepoint.is_active:
            self._savepoint.rollback()
        if isinstance(exc, ServiceError):
            self.error = exc
            if self.form is not None:
                exc.attach(self.form)
            elif self.flash_category:
                flash(str(exc.message), self.flash_category)
            return True
        return False


def step(form=None, flash_category: str | None = "error") -> _Step:
    """`with step(form) as done:` one service call; `done` is false when it raised ServiceError.

    Without a form the error is flashed (`flash_category=None`: the view shows `done.error` itself)."""
    return _Step(form, flash_category)


# --- audited reads of personal data ------------------------------------------------------------------


def personal_data(action: str):
    """Declare that a view shows personal data: its reads are audited as `action`."""

    def deco(view):
        view.personal_data = action
        return view

    return deco


def audit_read(obj=None, detail: str = "") -> None:
    """Name what a @personal_data view read (several calls make several events)."""
    g.setdefault("_audit_reads", []).append((obj, detail))


def _declared_read() -> str | None:
    if not has_request_context() or request.url_rule is None:
        return None
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "personal_data", None)
