"""Privacy: the notice (everyone), the information-security register, personal data on request and
the consent register (the director or the information-security appointee)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import menu
from ..access import get_or_404, signed_in
from ..accidents.permissions import AccPerm
from ..auth.roles import ROLE_LABELS, SCHOOL_ROLES, Perm, Role, has_perm
from ..drills.models import SchoolClass
from ..errors_service import ServiceError
from ..extensions import db
from ..incidents.models import RoadIncident
from ..pdf import FontMissing
from ..schools import services as school_services
from ..schools.models import AREA_LABELS
from ..uow import audit_read, personal_data, step
from . import data_register, search, services, subject_access
from .forms import ConsentForm, SubjectActionForm, SubjectForm, WithdrawForm
from .models import PURPOSE_LABELS, SUBJECT_KIND_LABELS, Consent, ConsentScan
from .permissions import can_handle, officer_only

bp = Blueprint("privacy", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    menu.MenuItem(_l("Privacy notice"), "privacy.notice", Perm.HOME, 98),
    menu.MenuItem(_l("Personal data requests"), "privacy.subject", Perm.HOME, 93, check=can_handle),
    menu.MenuItem(_l("Consent register"), "privacy.consents", Perm.HOME, 94, check=can_handle),
    menu.MenuItem(_l("Information security"), "privacy.register_page", Perm.HOME, 96, check=can_handle),
)


def _staff_choices():
    staff = db.session.execute(school_services.staff_query(g.school)).all()
    return [("", "—")] + [(str(u.id), u.full_name) for u, _role in staff]


# --- the notice and the register -------------------------------------------------------------------


@bp.get("/privacy")
@signed_in
def notice():
    school = g.school
    rows = []
    if school is not None:
        kept = data_register.retention(school)
        rows = [(res, data_register.readers(res), kept[res.key]) for res in data_register.RESOURCES]
    return render_template("privacy/notice.html", rows=rows,
                           contacts=data_register.contacts(school) if school is not None else None,
                           AREA_LABELS=AREA_LABELS)


@bp.get("/privacy/register")
@officer_only
@personal_data("privacy.register_read")
def register_page():
    roles = [*SCHOOL_ROLES, Role.INSPECTOR]
    return render_template("privacy/register.html", table=data_register.access_table(roles), roles=roles,
                           ROLE_LABELS=ROLE_LABELS, backup=data_register.backups(),
                           appointments=data_register.contacts(g.school)["appointments"],
                           kept=data_register.retention(g.school))


# --- personal data on request ------------------------------------------------------------------------


def _class_choices():
    rows = db.session.execute(sa.select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == g.school.id)
                              .order_by(SchoolClass.is_active.desc(), SchoolClass.grade, SchoolClass.name)).all()
    return [("", "—")] + [(str(i), name) for i, name in rows]


def _subject_form(data: dict | None = None) -> SubjectForm:
    """The search form: from the request, or (`data`) shown again with what was asked."""
    form = SubjectForm() if data is None else SubjectForm(formdata=None, data=data)
    form.user_id.choices = _staff_choices()
    form.class_id.choices = _class_choices()
    return form


def _subject_from(form) -> search.Subject:
    exact = form.exact.data in (True, "1", "y")
    return search.Subject(kind=form.kind.data or "", user_id=form.user_id.data, name=(form.name.data or "").strip(),
                            doc=(form.doc.data or "").strip(), class_id=form.class_id.data, exact=exact)


def _dossier(found, locale):
    """The dossier for this reader: injuries' health details only for those who may read them."""
    return subject_access.dossier(current_user, g.school, found, str(locale), health=has_perm(g.role, AccPerm.HEALTH))


def _action_form(subject: search.Subject) -> SubjectActionForm:
    return SubjectActionForm(formdata=None, data={"kind": subject.kind, "user_id": subject.user_id,
                                                  "name": subject.name, "doc": subject.doc,
                                                  "class_id": subject.class_id, "exact": "1" if subject.exact else ""})


@bp.route("/privacy/subject", methods=["GET", "POST"])
@officer_only
@personal_data("privacy.subject_access")
def subject():
    form = _subject_form()
    found = dossier = None
    if form.validate_on_submit():
        try:
            found = search.find(g.school, _subject_from(form))
        except ServiceError as err:
            err.attach(form)
        else:
            dossier = _dossier(found, g.school.default_locale)
            audit_read(found.user, found.audit_detail())
    action = _action_form(found.subject if found else _subject_from(form))
    return render_template("privacy/subject.html", form=form, found=found, dossier=dossier, action=action)


def _found_or_back(form):
    if not form.validate_on_submit():
        abort(400)
    try:
        return search.find(g.school, _subject_from(form))
    except ServiceError:
        abort(400)


@bp.post("/privacy/subject/export")
@officer_only
@personal_data("privacy.subject_export")
def subject_export():
    form = SubjectActionForm()
    found = _found_or_back(form)
    fmt = form.fmt.data if form.fmt.data in ("pdf", "json") else "json"
    audit_read(found.user, f"{found.audit_detail()} format={fmt}")
    school = g.school
    with force_locale(school.default_locale):
        dossier = _dossier(found, school.default_locale)
        stamp = dossier.generated_dt.strftime("%Y%m%d")
        if fmt == "json":
            body = json.dumps(dossier.as_json(), ensure_ascii=False, indent=2)
            return Response(body, mimetype="application/json", headers={
                "Content-Disposition": f'attachment; filename="personal-data-{found.subject.kind}-{stamp}.json"',
                "Cache-Control": "no-store"})
        from .pdf import dossier_pdf

        try:
            data = dossier_pdf(dossier, school)
        except FontMissing:
            flash(_("The PDF cannot be made: no Unicode font is installed on the server."), "error")
            return redirect(url_for("privacy.subject"))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="personal-data-{found.subject.kind}-{stamp}.pdf"',
        "Cache-Control": "no-store"})


@bp.post("/privacy/subject/correct")
@officer_only
def subject_correct():
    form = SubjectActionForm()
    found = _found_or_back(form)
    with step(form) as done:
        n = services.correct_name(current_user, g.school, found, form.new_name.data)
    if done:
        flash(_("Corrected in %(n)s records.", n=n), "success")
        return redirect(url_for("privacy.subject"))
    return _show_again(found, form)


@bp.post("/privacy/subject/erase")
@officer_only
def subject_erase():
    form = SubjectActionForm()
    found = _found_or_back(form)
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the confirmation to erase.")]
        return _show_again(found, form)
    with step(form) as done:
        result = services.erase(current_user, g.school, found)
    if done:
        flash(_("Erased: %(n)s records anonymised, %(k)s kept.", n=result.erased, k=result.kept), "success")
        if result.reason_kept:
            flash(result.reason_kept, "info")
        return redirect(url_for("privacy.subject"))
    return _show_again(found, form)


def _show_again(found, action):
    """The person's data with the refused correction or erasure and its message (nothing typed is lost)."""
    subject = found.subject
    form = _subject_form({"kind": subject.kind, "user_id": subject.user_id, "name": subject.name,
                          "doc": subject.doc, "class_id": subject.class_id, "exact": subject.exact})
    dossier = _dossier(found, g.school.default_locale)
    return render_template("privacy/subject.html", form=form, found=found, dossier=dossier, action=action), 422


# --- the consent register --------------------------------------------------------------------------------


@bp.get("/privacy/consents")
@officer_only
@personal_data("consent.read_list")
def consents():
    which = request.args.get("show", "")
    in_force = {"in_force": True, "withdrawn": False}.get(which)
    return render_template("privacy/consents.html", consents=services.consents(g.school, in_force=in_force),
                           which=which, PURPOSE_LABELS=PURPOSE_LABELS, KIND_LABELS=SUBJECT_KIND_LABELS)


def _incident_choices():
    rows = db.session.execute(sa.select(RoadIncident.id, RoadIncident.occurred_dt, RoadIncident.place)
                              .where(RoadIncident.school_id == g.school.id, RoadIncident.anonymised_dt.is_(None))
                              .order_by(RoadIncident.occurred_dt.desc()).limit(300)).all()
    return [("", "—")] + [(str(i), f"No. {i} · {when:%Y-%m-%d} · {place}") for i, when, place in rows]


@bp.route("/privacy/consents/new", methods=["GET", "POST"])
@officer_only
def consent_new():
    form = ConsentForm()
    form.incident_id.choices = _incident_choices()
    form.user_id.choices = _staff_choices()
    if request.method == "GET" and request.args.get("incident_id", "").isdigit():
        form.purpose.data = "incident_name"
        form.subject_kind.data = "student"
        form.incident_id.data = int(request.args["incident_id"][:10])
    if form.validate_on_submit():
        with step(form) as done:
            consent = services.save_consent(
                current_user, g.school, subject_kind=form.subject_kind.data, subject_name=form.subject_name.data,
                given_by=form.given_by.data, given_by_relation=form.given_by_relation.data,
                purpose=form.purpose.data, purpose_detail=form.purpose_detail.data, given_on=form.given_on.data,
                paper_ref=form.paper_ref.data, incident_id=form.incident_id.data,
                gate_entry_id=form.gate_entry_id.data, user_id=form.user_id.data, scan=form.scan.data)
        if done:
            flash(_("Consent recorded."), "success")
            return redirect(url_for("privacy.consent_view", consent_id=consent.id))
    return render_template("privacy/consent_form.html", form=form)


@bp.route("/privacy/consents/<int:consent_id>", methods=["GET"])
@officer_only
@personal_data("consent.read")
def consent_view(consent_id):
    consent = get_or_404(Consent, consent_id)
    audit_read(consent)
    return render_template("privacy/consent.html", c=consent, form=WithdrawForm(), PURPOSE_LABELS=PURPOSE_LABELS,
                           KIND_LABELS=SUBJECT_KIND_LABELS)


@bp.post("/privacy/consents/<int:consent_id>/withdraw")
@officer_only
def consent_withdraw(consent_id):
    consent = get_or_404(Consent, consent_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        with step(form) as done:
            changed = services.withdraw_consent(current_user, g.school, consent, withdrawn_on=form.withdrawn_on.data,
                                                note=form.note.data)
        if done:
            flash(_("The withdrawal is recorded."), "success")
            for line in changed:
                flash(line, "info")
            return redirect(url_for("privacy.consent_view", consent_id=consent.id))
    return render_template("privacy/consent.html", c=consent, form=form, PURPOSE_LABELS=PURPOSE_LABELS,
                           KIND_LABELS=SUBJECT_KIND_LABELS), 422


@bp.get("/privacy/consents/<int:consent_id>/scan")
@officer_only
@personal_data("consent.read_scan")
def consent_scan(consent_id):
    consent = get_or_404(Consent, consent_id)
    if consent.scan_id is None:
        abort(404)
    scan = db.session.scalar(sa.select(ConsentScan).where(ConsentScan.id == consent.scan_id,
                                                          ConsentScan.school_id == g.school.id)
                             .options(sa.orm.undefer(ConsentScan.data)))
    if scan is None:
        abort(404)
    audit_read(consent, detail="scan")
    return Response(scan.data, mimetype=scan.content_type,
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
