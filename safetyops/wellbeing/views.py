"""Anonymous reports (public, per-school link) and the cases (director, deputy, appointed psychologist).

The public pages store nothing that identifies the reporter: no account even when signed in, no
address (the rate limits count a keyed hash of it in the limiter's storage, which expires), the
audit event of a report carries the source "anonymous", and the day only."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from functools import wraps

import segno
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..access import get_or_404, public, signed_in
from ..audit.services import audit_source, record
from ..auth.roles import Perm
from ..dashboard.cards import Card
from ..extensions import db, limiter
from ..menu import MenuItem
from ..paging import Page, page_arg
from ..time import now_utc
from ..uow import audit_read, personal_data, step
from . import services
from .forms import CodeForm, NoteForm, ReplyForm, ReportForm, StatusForm
from .models import KIND_LABELS, REPORTER_LABELS, STATUS_LABELS, CaseStatus, Report

bp = Blueprint("wellbeing", __name__)

ANONYMOUS = "anonymous"
_CHECK = "wellbeing_check"
_CODE = "wellbeing_code"


# --- who may read cases ----------------------------------------------------------------------------


def can_handle() -> bool:
    """For the menu and templates: the director, the deputy or the appointed psychologist."""
    if "_wellbeing_handler" not in g:
        g._wellbeing_handler = services.may_handle(current_user if current_user.is_authenticated else None,
                                                   getattr(g, "school", None), getattr(g, "role", None))
    return g._wellbeing_handler


def handlers_only(view):
    """Route decorator: anyone else (any other role, the district inspector) gets 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not can_handle():
            abort(403)
        return view(*args, **kwargs)

    return signed_in(wrapper)


#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    MenuItem(_l("Anonymous reports"), "wellbeing.cases", Perm.HOME, 60, check=can_handle),
)


def new_reports_card(user, school, role, today):
    """The handlers' home: how many anonymous reports nobody has dealt with yet (a count, never a word of
    them: the home page may be seen over a shoulder)."""
    if not services.may_handle(user, school, role):
        return []
    new = services.counts(school).get(CaseStatus.NEW, 0)
    if not new:
        return []
    return [Card(title=_("New anonymous reports"), url=url_for("wellbeing.cases", status=CaseStatus.NEW.value),
                 urgency=70, tone="danger", count=new)]


# --- the public form -------------------------------------------------------------------------------------


def _keyed(value: str) -> str:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()[:24]


def _address_key() -> str:
    """A keyed hash of the address and the link: counts a sender without keeping who they are."""
    return "wb:" + _keyed(f"{request.remote_addr or '-'}|{request.view_args.get('token', '')}")


def _link_key() -> str:
    return "wb-link:" + _keyed(request.view_args.get("token", ""))


def _limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


def _new_check() -> tuple[int, int]:
    a, b = secrets.randbelow(8) + 1, secrets.randbelow(8) + 1
    session[_CHECK] = _keyed(f"check|{a + b}")
    return a, b


def _check_ok(answer: str) -> bool:
    expected = session.pop(_CHECK, None)
    return bool(expected) and hmac.compare_digest(expected, _keyed(f"check|{(answer or '').strip()}"))


def _school_or_404(token):
    audit_source.set(ANONYMOUS)  # whatever this request records carries no address
    school = services.school_of_token(token)
    if school is None:
        abort(404)
    return school


def _no_store(resp):
    resp = current_app.make_response(resp)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit("WELLBEING_REPORT_LIMIT", "5 per hour;20 per day"), methods=["POST"], key_func=_address_key)
@limiter.limit(_limit("WELLBEING_LINK_LIMIT", "200 per day"), methods=["POST"], key_func=_link_key)
def report(token):
    school = _school_or_404(token)
    form = ReportForm()
    if form.validate_on_submit():
        if not _check_ok(form.answer.data):
            form.answer.errors.append(_("The answer is not right. Try the new question."))
        elif form.website.data:  # the trap field: a robot; it sees the usual answer, nothing is stored
            session[_CODE] = services.new_code()
            return redirect(url_for("wellbeing.sent", token=token))
        else:
            with step(form) as done:
                made, code = services.submit_report(
                    school, kind=form.kind.data, reporter_kind=form.reporter_kind.data, body=form.body.data,
                    place=form.place.data, locale=str(get_locale() or school.default_locale))
                record(None, school, "wellbeing.report_received", made)
            if done:
                session[_CODE] = code
                return redirect(url_for("wellbeing.sent", token=token))
    a, b = _new_check()
    return _no_store(render_template("wellbeing/report.html", form=form, school=school, token=token, a=a, b=b))


@bp.get("/r/<token>/sent")
@public
def sent(token):
    school = _school_or_404(token)
    code = session.pop(_CODE, None)
    if code is None:
        return redirect(url_for("wellbeing.report", token=token))
    return _no_store(render_template("wellbeing/sent.html", school=school, token=token, code=code))


@bp.route("/r/<token>/answer", methods=["GET", "POST"])
@public
@limiter.limit(_limit("WELLBEING_CODE_LIMIT", "10 per hour"), methods=["POST"], key_func=_address_key)
def answer(token):
    school = _school_or_404(token)
    form = CodeForm()
    found = None
    if form.validate_on_submit():
        found = services.report_by_code(school, form.code.data)
        if found is None:
            form.code.errors.append(_("No report has this code. Check the letters and try again."))
        else:
            form.code.data = ""  # not left on the screen of a shared phone
    return _no_store(render_template("wellbeing/answer.html", form=form, school=school, token=token, found=found,
                                     KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS))


# --- the cases -------------------------------------------------------------------------------------------


@bp.get("/wellbeing/cases")
@handlers_only
@personal_data("wellbeing.read_list")
def cases():
    status = request.args.get("status", "")
    at = page_arg()
    page = Page(at, db.session.scalars(services.cases_query(g.school, status).offset(at.offset).limit(at.fetch)).all())
    audit_read(detail=f"status={status}" if status else "")
    return render_template("wellbeing/cases.html", page=page, status=status, counts=services.counts(g.school),
                           KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS, CaseStatus=CaseStatus)


def _case_page(report, note_form=None, reply_form=None, status_form=None, code=200):
    reply_form = reply_form or ReplyForm(reply=report.reply)
    status_form = status_form or StatusForm(status=report.status.value, outcome=report.outcome)
    return render_template("wellbeing/case.html", r=report, note_form=note_form or NoteForm(formdata=None),
                           reply_form=reply_form, status_form=status_form, KIND_LABELS=KIND_LABELS,
                           REPORTER_LABELS=REPORTER_LABELS, STATUS_LABELS=STATUS_LABELS), code


@bp.get("/wellbeing/cases/<int:report_id>")
@handlers_only
@personal_data("wellbeing.read")
def case(report_id):
    r = get_or_404(Report, report_id)
    audit_read(r)
    return _case_page(r)


@bp.post("/wellbeing/cases/<int:report_id>/note")
@handlers_only
def case_note(report_id):
    r = get_or_404(Report, report_id)
    form = NoteForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.add_note(current_user, g.school, r, form.body.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("wellbeing.case", report_id=r.id))
    return _case_page(r, note_form=form, code=422)


@bp.post("/wellbeing/cases/<int:report_id>/reply")
@handlers_only
def case_reply(report_id):
    r = get_or_404(Report, report_id)
    form = ReplyForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.set_reply(current_user, g.school, r, form.reply.data, now_utc())
        if done:
            flash(_("The answer is saved: the reporter reads it with their code."), "success")
            return redirect(url_for("wellbeing.case", report_id=r.id))
    return _case_page(r, reply_form=form, code=422)


@bp.post("/wellbeing/cases/<int:report_id>/status")
@handlers_only
def case_status(report_id):
    r = get_or_404(Report, report_id)
    form = StatusForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.set_status(current_user, g.school, r, form.status.data, form.outcome.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("wellbeing.case", report_id=r.id))
    return _case_page(r, status_form=form, code=422)


# --- the poster ------------------------------------------------------------------------------------------


def _qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code (no style attributes: the CSP forbids inline styles)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", xmldecl=False, svgns=True, svgclass="qr", lineclass=None,
                                    omitsize=True, border=2)
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704 - segno's own markup


@bp.get("/wellbeing/poster")
@handlers_only
def poster():
    link = services.link_for(g.school)
    url = url_for("wellbeing.report", token=link.token, _external=True)
    return render_template("wellbeing/poster.html", url=url, qr=_qr_svg(url))


@bp.post("/wellbeing/poster/renew")
@handlers_only
def poster_renew():
    with step() as done:
        services.renew_link(current_user, g.school)
    if done:
        flash(_("A new link is made: print the new poster; the old one no longer works."), "success")
    return redirect(url_for("wellbeing.poster"))

