"""Sign in, sign out, password, language, school switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..access import public, signed_in
from ..config import LANGUAGES
from ..extensions import limiter
from ..security import verify_password
from ..uow import release
from . import services, throttle
from .forms import ChangePasswordForm, LoginForm
from .roles import Role

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None, default: str | None = None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default or url_for("dashboard.home")


def _landing(user) -> str:
    """Where a sign-in without `next` leads: a guard's work is the gate (one tap less each shift);
    everyone else, and a guard who holds another role too, starts at home."""
    roles = {m.role for m in user.memberships}
    return url_for("gate.index") if roles == {Role.GUARD} else url_for("dashboard.home")


def _limit(name: str):
    return lambda: current_app.config[name]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"], key_func=throttle.address_key,
               deduct_when=throttle.counts, exempt_when=throttle.known_device)
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"), methods=["POST"], key_func=throttle.account_address_key,
               deduct_when=throttle.counts, exempt_when=throttle.known_device)
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"), methods=["POST"], key_func=throttle.account_device_key,
               deduct_when=throttle.counts, exempt_when=throttle.unknown_device)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("login"):
        form.login.data = request.args["login"].strip()[:64]  # a name picked on the gate phone: only a hint
    if form.validate_on_submit():
        account = throttle.account()
        wait = throttle.wait_seconds(account)
        if wait:
            return _wait(form, wait)
        attempt = services.sign_in_attempt(form.login.data)
        release()  # end the read: the hash is checked with no transaction open
        attempt = services.check_password(attempt, form.password.data)
        outcome, user = services.finish_sign_in(attempt)
        release()  # the outcome (failures audited too), before any page renders
        if outcome is services.SignIn.OK:
            throttle.succeeded(account)
            session.clear()
            session.permanent = True
            login_user(user)
            # A fresh form key in the sign-in's own cookie: the first page and the service worker's
            # background fetches right after it then share one key (else each made its own, the
            # last cookie won, and the person's first form was refused as expired).
            g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
            generate_csrf()
            response = redirect(_safe_next(request.args.get("next"), _landing(user)))
            throttle.remember_device(response, [account, services.normalize_login(user.username),
                                               services.normalize_login(user.phone)])
            return response
        if outcome is services.SignIn.OTP_EXPIRED:
            form.password.errors.append(_("This one-time password has expired. Ask the director for a new one."))
            return render_template("auth/login.html", form=form), 200
        throttle.failed(account)
        form.password.errors.append(_("Wrong username, phone number or password."))
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


def _wait(form, seconds: int):
    """Too many wrong passwords on this account lately: the next try waits (no lockout)."""
    form.password.errors.append(
        _("Too many wrong passwords for this account. You can try again in %(seconds)s s.", seconds=seconds))
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def login_throttled():
    form = LoginForm()
    form.validate()
    form.password.errors = [_("Too many attempts. Wait a minute and try again.")]
    return render_template("auth/login.html", form=form), 429


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    services.sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        stored = user.password_hash
        release()  # end the read: hashing happens with no transaction open
        if not verify_password(stored, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            new_hash = services.new_password_hash(form.new.data)
            services.set_password(user, user, new_hash)
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
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/school", methods=["POST"])
@signed_in
def switch_school():
    from ..access import place_for

    wanted = request.form.get("school_id", type=int)
    if place_for(current_user, wanted) is not None:
        session["school_id"] = wanted
    return redirect(url_for("dashboard.home"))


@bp.get("/school/switch")
@signed_in
def choose_school():
    """Find a school to work in: the person's own schools, and the schools of their district by name
    (a page at a time: a district may have hundreds, a country thousands)."""
    from flask import g

    from ..access import search_places
    from ..paging import Page, page_arg

    page = page_arg()
    q = request.args.get("q", "").strip()[:100]
    found = Page(page, search_places(current_user, q, page.offset, page.fetch)) if g.switch_search else None
    return render_template("auth/switch_school.html", own=g.places, found=found, q=q)
