"""Gate pages of the shared gate phone: its device cookie, the guard's shift on it (a guard signing in ends
the other's), the lock screen and unlocking (PIN or password), another guard taking the phone, and the PIN.
Routes of the gate blueprint (`blueprint.bp`); `views.py` imports this module so that they are registered."""

from __future__ import annotations

import re
import secrets

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access import can, requires, signed_in
from ..audit.services import record
from ..auth.roles import Role
from ..security import hash_password, verify_password
from ..time import school_today
from ..uow import release, step
from . import phone, shifts
from .blueprint import _render, bp
from .forms import PinForm, UnlockForm
from .permissions import GatePerm
from .settings import settings_for

DEVICE_COOKIE = "gate_device"


_LOCK_FREE = {"gate.locked", "gate.unlock", "gate.switch_guard", "static", "auth.login", "auth.logout",
              "auth.set_language", "dashboard.favicon", "dashboard.manifest", "dashboard.healthz",
              # the alarm button works on the locked gate phone (templates/drills/_alarm_button.html)
              "drills.alarm", "drills.alarm_raise", "drills.alarm_status", "drills.alarm_cancel",
              # reunification after the all clear: the guard hands children over from the gate phone
              "drills.reunion_screen", "drills.reunion_class", "drills.handover"}


@bp.before_app_request
def _gate_phone_guard():
    # The lock lives on the server (the shift's row): a replayed older cookie without "gate_locked"
    # is locked all the same.
    g.gate_locked = bool(session.get("gate_locked"))
    if "gate_shift" in session and current_user.is_authenticated:
        state = phone.shift_state(session["gate_shift"])
        if state == "ended":
            logout_user()
            session.clear()
            flash(_("Another guard signed in on this phone: your shift here has ended."), "info")
            return redirect(url_for("auth.login"))
        g.gate_locked = g.gate_locked or state == "locked"
    if g.gate_locked and current_user.is_authenticated and request.endpoint not in _LOCK_FREE:
        if request.method == "GET":
            return redirect(url_for("gate.locked"))
        abort(403)
    return None


@bp.context_processor
def _lock_context():
    if getattr(g, "school", None) is None or g.role is not Role.GUARD:  # the shared gate phone is the guards'
        return {"lock_minutes": 0}
    return {"lock_minutes": settings_for(g.school).lock_minutes}


def _device_id() -> str | None:
    """This phone's id from its cookie; None when there is none or it is not one we made (the cookie is the
    phone holder's to change: a long or strange value must not reach the database)."""
    value = request.cookies.get(DEVICE_COOKIE, "") if request else ""
    return value if _DEVICE_ID.fullmatch(value) else None


_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


@bp.after_request
def _device_cookie(response):
    if _device_id() is None:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=5 * 365 * 86400, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


def on_login(sender, user, **extra):
    """A guard signs in on a gate phone: their shift starts and any other guard's shift on it ends."""
    device = _device_id()
    if not device:
        return
    membership = next((m for m in user.memberships if m.role is Role.GUARD), None)
    if membership is None:
        return
    shift = phone.start_shift(membership.school, user, device)
    session["gate_shift"] = shift.id


@bp.post("/lock")
@requires(GatePerm.LOG)
def lock():
    user = current_user._get_current_object()
    shift_id = session.get("gate_shift")
    if not shift_id:
        # No shift holds this session's lock on the server (signed in before the phone had its device
        # cookie, or not a guard): every earlier copy of the session cookie ends here, and this session
        # goes on under a new token (for a guard, with a shift on this phone that holds the lock).
        user.end_all_sessions()
        record(user, g.school, "gate.lock.new_session", user)
        login_user(user, remember=False)
        shift_id = session.get("gate_shift")
    if shift_id:
        phone.lock_shift(user, g.school, shift_id)
    session["gate_locked"] = True
    return redirect(url_for("gate.locked"))


@bp.get("/locked")
@signed_in
def locked():
    if not g.get("gate_locked"):
        return redirect(url_for("gate.index") if can(GatePerm.LOG) else url_for("dashboard.home"))
    has_pin = g.school is not None and phone.has_pin(current_user, g.school)
    form = UnlockForm()
    if not has_pin:
        form.secret.label.text = _("Password")
    return _render("gate/locked.html", form=form, has_pin=has_pin, company_guards=_company_guards())


def _company_guards() -> list:
    """The security company's guards (contracts in force in the register) other than the one signed in: the
    next shift picks their name instead of typing it."""
    if g.school is None:
        return []
    return [(u, note) for u, note in shifts.candidates(g.school, school_today(g.school)) if u.id != current_user.id]


@bp.post("/unlock")
@signed_in
def unlock():
    form = UnlockForm()
    if g.school is None:
        abort(404)
    has_pin = phone.has_pin(current_user, g.school)
    if form.validate_on_submit():
        stored = phone.unlock_hash(current_user, g.school)
        release()  # the PIN is checked with no transaction open
        ok = verify_password(stored, form.secret.data or "")
        result = phone.finish_unlock(current_user, g.school, ok)
        if result:
            phone.unlock_shift(session.get("gate_shift"))
        if result:
            session.pop("gate_locked", None)
            return redirect(url_for("gate.index"))
        if result is None:
            phone.end_shift(session.get("gate_shift"))
            logout_user()
            session.clear()
            flash(_("Too many wrong PINs. Sign in with your password."), "error")
            return redirect(url_for("auth.login"))
        form.secret.errors.append(_("Wrong PIN.") if has_pin else _("Wrong password."))
    if not has_pin:
        form.secret.label.text = _("Password")
    return _render("gate/locked.html", form=form, has_pin=has_pin, company_guards=_company_guards()), 200


@bp.post("/switch")
@signed_in
def switch_guard():
    """Another guard takes the phone: this session ends here (not on the guard's other devices).  A guard of
    the security company picked by name gets the sign-in page with their account filled in."""
    picked = request.form.get("guard_id", type=int)
    login = next((u.username for u, _note in _company_guards() if u.id == picked), None) if picked else None
    phone.end_shift(session.get("gate_shift"))
    record(current_user, g.school, "gate.shift.switch", current_user, detail=f"to={picked}" if login else "")
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale  # the phone keeps the language it was used in
    return redirect(url_for("auth.login", next=url_for("gate.index"), login=login))


@bp.route("/pin", methods=["GET", "POST"])
@requires(GatePerm.LOG)
def pin():
    form = PinForm()
    if form.validate_on_submit():
        release()  # the PIN is hashed with no transaction open
        pin_hash = hash_password((form.pin.data or "").strip())
        with step(form) as done:
            phone.set_pin(current_user, g.school, form.pin.data, pin_hash=pin_hash)
        if done:
            flash(_("PIN saved. It unlocks the gate phone for you."), "success")
            return redirect(url_for("gate.index"))
    return _render("gate/pin.html", form=form)
