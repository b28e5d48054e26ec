"""Sign in, sign out, password, language, school switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access import public, signed_in
from ..config import LANGUAGES
from ..extensions import db, limiter
from ..security import verify_password
from . import services
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login:" + (request.form.get("login") or "").strip().lower()[:64]


def _failed(response) -> bool:
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            db.session.commit()
            session.clear()
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # the failed attempt is audited
        form.password.errors.append(_("Wrong username, phone number or password."))
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


def login_throttled():
    form = LoginForm()
    form.validate()
    form.password.errors = [_("Too many attempts. Wait a minute and try again.")]
    return render_template("auth/login.html", form=form), 429


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    services.sign_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            services.set_password(user, user, form.new.data)
            db.session.commit()
            login_user(user)  # this session goes on with the new token; others end
            flash(_("Password changed. You were signed out on your other devices."), "success")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
@public
def set_language():

    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["locale"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/school", methods=["POST"])
@signed_in
def switch_school():
    from ..access import accessible_places

    wanted = request.form.get("school_id", type=int)
    if any(p.school.id == wanted for p in accessible_places(current_user)):
        session["school_id"] = wanted
    return redirect(url_for("dashboard.home"))
