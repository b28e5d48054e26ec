"""The register of documents, contracts and licences; the instruction journal; printed sheets."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import menu
from ..access import can, get_or_404, requires, scoped
from ..auth.roles import ROLE_LABELS, has_perm
from ..dashboard.cards import Card
from ..extensions import db
from ..forms_common import choices
from ..incidents.models import Briefing, BriefingPlanItem
from ..incidents.permissions import IncPerm
from ..schools.models import AREA_LABELS, Membership
from ..schools.services import staff_query
from ..time import school_today
from ..uow import audit_read, personal_data, step
from . import guards, pdf, services, storage
from .forms import DocumentForm, InstructionForm, ScanForm, VersionForm, document_form
from .kinds import GROUP_LABELS, KIND_LABELS, KINDS, Group, may_read, readable_kinds
from .models import (
    DOC_STATUS_LABELS,
    INSTRUCTION_KIND_LABELS,
    DocKind,
    DocStatus,
    Document,
    DocumentFile,
    Instruction,
    InstructionEntry,
)
from .permissions import DocPerm

bp = Blueprint("documents", __name__)

#: The area's menu entries (added to the app by the area's `register(app)`).
MENU = (
    menu.MenuItem(_l("Documents"), "documents.index", DocPerm.VIEW, 60),
    menu.MenuItem(_l("Instruction journal"), "documents.journal", DocPerm.JOURNAL_VIEW, 61),
    menu.MenuItem(_l("My instructions"), "documents.my_instructions", DocPerm.SIGN, 62),
)


def _today() -> dt.date:
    return school_today(g.school)


def _locale() -> str:
    return str(get_locale() or "ky")


def _ctx(**kw) -> dict:
    return {"KIND_LABELS": KIND_LABELS, "KINDS": KINDS, "STATUS_LABELS": DOC_STATUS_LABELS,
            "GROUP_LABELS": GROUP_LABELS, "INSTRUCTION_KIND_LABELS": INSTRUCTION_KIND_LABELS,
            "AREA_LABELS": AREA_LABELS, "today": _today(), "locale": _locale(), **kw}


def _readable(doc: Document) -> Document:
    """403 when the role may not read this kind (anti-terror data: leaders only)."""
    if not may_read(g.role, doc.kind):
        abort(403)
    return doc


def _staff_choices(blank=None):
    staff = db.session.execute(staff_query(g.school)).all()
    pairs = [(u.id, u.full_name) for u, _role in staff if u.is_enabled]
    return choices(([(0, blank)] if blank else []) + pairs)


def company_guards(school, today) -> list:
    """The gate phone offers the security company's guards at a change of shift (contracts in force)."""
    return [(user, _("%(company)s, contract No. %(number)s", company=doc.contractor, number=doc.number or "—"))
            for user, doc in guards.on_contract(school, today)]


@bp.app_template_global("appointment_orders")
def _appointment_orders(appointments) -> dict:
    """For the responsible persons' and the civil-defence staff's pages (schools, drills): each appointment's
    order in the register, {appointment id: Document}; empty for a role that may not read orders."""
    if getattr(g, "school", None) is None or not may_read(g.role, DocKind.ORDER) or not can(DocPerm.VIEW):
        return {}
    return services.orders_for_appointments(g.school, appointments)


# --------------------------------------------------------------------------- home page cards


def home_cards(user, school, role, today):
    cards = []
    if has_perm(role, DocPerm.MANAGE):
        due = services.due_documents(school, today, kinds=readable_kinds(role))
        expired, review = due["expired"], due["review_due"]
        loc = _locale()
        if expired:
            cards.append(Card(title=_("Documents expired"), url=url_for("documents.index", due="expired"),
                              urgency=60, tone="danger", count=len(expired),
                              lines=[f"{d.title(loc)} · {format_date(d.due_on, 'medium')}" for d in expired[:3]]))
        if review:
            cards.append(Card(title=_("Documents to review"), url=url_for("documents.index", due="review_due"),
                              urgency=35, tone="warning", count=len(review),
                              lines=[f"{d.title(loc)} · {format_date(d.due_on, 'medium')}" for d in review[:3]]))
    elif has_perm(role, DocPerm.VIEW):
        mine = services.due_documents(school, today, user=user)
        docs = mine["expired"] + mine["review_due"]
        if docs:
            cards.append(Card(title=_("Documents you keep: review due"), url=url_for("documents.index"), urgency=35,
                              tone="warning", count=len(docs),
                              lines=[f"{d.title(_locale())} · {format_date(d.due_on, 'medium')}" for d in docs[:3]]))
    if has_perm(role, DocPerm.SIGN):
        unsigned = services.unsigned_for(user, school)
        if unsigned:
            cards.append(Card(title=_("Confirm the instruction you received"),
                              url=url_for("documents.my_instructions"), urgency=45, tone="warning",
                              count=len(unsigned),
                              lines=[f"{format_date(e.instruction.held_on, 'medium')} · {e.instruction.topic}"
                                     for e in unsigned[:2]]))
        mine = services.next_due(school, user=user)
        if mine and mine[0][1] <= today + dt.timedelta(days=services.INSTRUCTION_REMIND_DAYS):
            cards.append(Card(title=_("Your repeat fire-safety instruction is due"), urgency=30, tone="warning",
                              lines=[format_date(mine[0][1], "medium")]))
    if has_perm(role, DocPerm.JOURNAL_MANAGE):
        due = services.instruction_due(school, today)
        if due:
            cards.append(Card(title=_("Staff due for repeat instruction"), url=url_for("documents.journal"),
                              urgency=30, tone="warning", count=len(due),
                              lines=[f"{u.full_name} · {format_date(d, 'medium')}" for u, d in due[:3]]))
    return cards


# --------------------------------------------------------------------------- the register


@bp.get("/documents")
@requires(DocPerm.VIEW)
def index():
    group = request.args.get("group", Group.DOCUMENTS)
    if group not in (Group.DOCUMENTS, Group.CONTRACTS, "archived"):
        group = Group.DOCUMENTS
    wanted = request.args.get("due", "")
    today = _today()
    if group == "archived":
        docs = list(db.session.scalars(services.visible(g.school, g.role, archived=True)))
    else:
        docs = list(db.session.scalars(services.visible(g.school, g.role, group=group)))
    if wanted in (DocStatus.EXPIRED.value, DocStatus.REVIEW_DUE.value):
        docs = [d for d in db.session.scalars(services.visible(g.school, g.role)) if d.status_on(today).value == wanted]
    by_kind: dict = {}
    for doc in docs:
        by_kind.setdefault(doc.kind, []).append(doc)
    kinds = [k for k in readable_kinds(g.role) if group == "archived" or wanted or KINDS[k].group == group]
    return render_template("documents/index.html", **_ctx(group=group, by_kind=by_kind, kinds=kinds, wanted=wanted,
                                                          may_manage=can(DocPerm.MANAGE)))


def _kind_arg() -> DocKind | None:
    try:
        kind = DocKind(request.args.get("kind", ""))
    except ValueError:
        return None
    return kind if may_read(g.role, kind) else None


def _fill(form: DocumentForm, kind: DocKind, doc: Document | None) -> None:
    form.responsible_id.choices = _staff_choices(_("— none —"))
    form.approved_by_id.choices = choices([(0, _("— none —"))] + [
        (o.id, f"№ {o.number} · {format_date(o.approved_on, 'short') if o.approved_on else ''} · {o.title(_locale())}")
        for o in services.orders(g.school) if doc is None or o.id != doc.id])
    if hasattr(form, "guard_ids"):
        form.guard_ids.choices = [(u.id, u.full_name) for u in guards.school_guards(g.school)]
        if request.method == "GET" and doc is not None:
            form.guard_ids.data = guards.guard_ids(doc)
    if request.method == "GET":
        if doc is None:
            default = services.default_responsible(g.school, kind, _today())
            form.responsible_id.data = default.id if default else 0
            form.approved_on.data = _today()
            if kind is DocKind.ORDER:
                form.number.data = services.next_order_number(g.school, _today().year)
        else:
            form.responsible_id.data = doc.responsible_id or 0
            form.approved_by_id.data = doc.approved_by_id or 0
            form.status.data = doc.status.value
            for f in KINDS[kind].fields:
                getattr(form, f"d_{f.key}").data = doc.details.get(f.key, "")


def _data(form: DocumentForm, kind: DocKind) -> dict:
    return {"kind": kind, "title_local": form.title_local.data, "title_ru": form.title_ru.data,
            "number": form.number.data, "approved_on": form.approved_on.data,
            "approved_by_id": form.approved_by_id.data or None, "approval_note": form.approval_note.data,
            "responsible_id": form.responsible_id.data or None, "review_on": form.review_on.data,
            "remind_days": form.remind_days.data, "contractor": form.contractor.data,
            "licence_number": form.licence_number.data, "licence_expires_on": form.licence_expires_on.data,
            "status": form.status.data,
            "details": {f.key: getattr(form, f"d_{f.key}").data for f in KINDS[kind].fields},
            "guard_ids": form.guard_ids.data or [] if hasattr(form, "guard_ids") else None}


@bp.route("/documents/new", methods=["GET", "POST"])
@requires(DocPerm.MANAGE)
def new():
    kind = _kind_arg()
    if kind is None:
        groups = {grp: [k for k in readable_kinds(g.role) if KINDS[k].group == grp]
                  for grp in (Group.DOCUMENTS, Group.CONTRACTS)}
        return render_template("documents/pick_kind.html", **_ctx(groups=groups))
    form = document_form(kind)
    _fill(form, kind, None)
    if form.validate_on_submit():
        with step(form) as done:
            doc = services.save_document(current_user, g.school, None, files=request.files.getlist("files"),
                                         version_note=form.version_note.data or "", **_data(form, kind))
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("documents.detail", document_id=doc.id))
    return render_template("documents/form.html", **_ctx(form=form, kind=kind, doc=None))


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
@requires(DocPerm.MANAGE)
def edit(document_id):
    doc = _readable(get_or_404(Document, document_id))
    form = document_form(doc.kind, obj=doc)
    _fill(form, doc.kind, doc)
    if form.validate_on_submit():
        with step(form) as done:
            services.save_document(current_user, g.school, doc, **_data(form, doc.kind))
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("documents.detail", document_id=doc.id))
    return render_template("documents/form.html", **_ctx(form=form, kind=doc.kind, doc=doc))


@bp.get("/documents/<int:document_id>")
@requires(DocPerm.VIEW)
@personal_data("documents.read")
def detail(document_id):
    doc = _readable(get_or_404(Document, document_id))
    audit_read(doc)
    links = services.order_links(g.school, doc) if doc.kind is DocKind.ORDER else None
    checks = services.checklist_state(g.school, doc.kind)
    return render_template("documents/detail.html", **_ctx(
        doc=doc, links=links, checks=checks, status=doc.status_on(_today()), may_manage=can(DocPerm.MANAGE),
        contract_guards=guards.guards_of(doc) if doc.kind is DocKind.CONTRACT_SECURITY else []))


@bp.route("/documents/<int:document_id>/versions/new", methods=["GET", "POST"])
@requires(DocPerm.MANAGE)
def new_version(document_id):
    doc = _readable(get_or_404(Document, document_id))
    form = VersionForm()
    if request.method == "GET":
        form.approved_on.data = _today()
    if form.validate_on_submit():
        with step(form) as done:
            version = services.add_version(current_user, g.school, doc, files=request.files.getlist("files"),
                                           note=form.note.data or "", approved_on=form.approved_on.data,
                                           review_on=form.review_on.data)
        if done:
            flash(_("Version %(n)s is in force; the earlier ones stay readable.", n=version.number), "success")
            return redirect(url_for("documents.detail", document_id=doc.id))
    return render_template("documents/version_form.html", **_ctx(form=form, doc=doc))


@bp.post("/documents/<int:document_id>/status")
@requires(DocPerm.MANAGE)
def set_status(document_id):
    doc = _readable(get_or_404(Document, document_id))
    with step() as done:
        services.set_status(current_user, g.school, doc, request.form.get("status", ""))
    if done:
        flash(_("Saved."), "success")
    return redirect(url_for("documents.detail", document_id=doc.id))


@bp.get("/documents/files/<int:document_file_id>")
@requires(DocPerm.VIEW)
@personal_data("documents.file_read")
def file(document_file_id):
    f = get_or_404(DocumentFile, document_file_id)
    if f.version_id is not None:
        _readable(f.version.document)
    elif not can(DocPerm.JOURNAL_VIEW):  # a signed journal page: names of staff
        abort(403)
    path = storage.path_of(f)
    if not path.is_file():
        abort(404)
    audit_read(f)
    resp = send_file(path, mimetype=f.content_type, max_age=0, download_name=f"document-{f.id}.{path.suffix[1:]}")
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return resp


# --------------------------------------------------------------------------- the instruction journal


def _period() -> tuple[dt.date, dt.date]:
    today = _today()
    default_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)

    def arg(name, default):
        try:
            return dt.date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return default

    start, end = arg("start", default_start), arg("end", today)
    return (start, end) if start <= end else (end, start)


def _roles() -> dict:
    return dict(db.session.execute(sa.select(Membership.user_id, Membership.role)
                                   .where(Membership.school_id == g.school.id)).all())


@bp.get("/documents/journal")
@requires(DocPerm.JOURNAL_VIEW)
@personal_data("instructions.read_list")
def journal():
    start, end = _period()
    entries = services.journal(g.school, start, end)
    instructions: dict = {}
    for e in entries:
        instructions.setdefault(e.instruction, []).append(e)
    return render_template("documents/journal.html", **_ctx(
        instructions=list(reversed(list(instructions.items()))), start=start, end=end,
        due=services.instruction_due(g.school, _today()), never=services.staff_never_instructed(g.school),
        may_manage=can(DocPerm.JOURNAL_MANAGE), may_training=can("training.view")))


def _pdf_response(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})


def _font_missing(err):
    return render_template("errors/error.html", code=503, title=_("PDF unavailable"),
                           text=_("The PDF font is not installed on the server: %(detail)s", detail=str(err))), 503


@bp.get("/documents/journal.pdf")
@requires(DocPerm.JOURNAL_VIEW)
@personal_data("instructions.print")
def journal_pdf():
    start, end = _period()
    entries = services.journal(g.school, start, end)
    try:
        data = pdf.instruction_journal(g.school, entries, _roles(), start, end, INSTRUCTION_KIND_LABELS, ROLE_LABELS)
    except pdf.FontMissing as err:
        return _font_missing(err)
    audit_read(detail=f"{start}..{end}")
    return _pdf_response(data, f"instruction-journal-{start}-{end}.pdf")


@bp.route("/documents/journal/new", methods=["GET", "POST"])
@requires(DocPerm.JOURNAL_MANAGE)
def instruction_new():
    form = InstructionForm()
    form.instructor_id.choices = _staff_choices()
    form.user_ids.choices = [(c.value, c.label) for c in _staff_choices()]
    if request.method == "GET":
        form.held_on.data = _today()
        form.instructor_id.data = current_user.id
        wanted = request.args.getlist("user", type=int)
        form.user_ids.data = [u for u in wanted if any(u == v for v, _l in form.user_ids.choices)]
    if form.validate_on_submit():
        with step(form) as done:
            instruction = services.record_instruction(
                current_user, g.school, kind=form.kind.data, held_on=form.held_on.data,
                instructor_id=form.instructor_id.data, topic=form.topic.data, user_ids=form.user_ids.data,
                next_due_on=form.next_due_on.data, files=request.files.getlist("files"))
        if done:
            flash(_("Recorded. Each person confirms from their own account, or signs the printed page."), "success")
            return redirect(url_for("documents.instruction", instruction_id=instruction.id))
    return render_template("documents/instruction_form.html", **_ctx(form=form))


@bp.get("/documents/journal/<int:instruction_id>")
@requires(DocPerm.JOURNAL_VIEW)
@personal_data("instructions.read")
def instruction(instruction_id):
    ins = get_or_404(Instruction, instruction_id)
    audit_read(ins)
    return render_template("documents/instruction.html", **_ctx(ins=ins, form=ScanForm(),
                                                                may_manage=can(DocPerm.JOURNAL_MANAGE)))


@bp.get("/documents/journal/<int:instruction_id>/sheet.pdf")
@requires(DocPerm.JOURNAL_VIEW)
@personal_data("instructions.print")
def instruction_pdf(instruction_id):
    ins = get_or_404(Instruction, instruction_id)
    entries = sorted(ins.entries, key=lambda e: e.user.full_name)
    try:
        data = pdf.instruction_journal(g.school, entries, _roles(), ins.held_on, ins.held_on,
                                       INSTRUCTION_KIND_LABELS, ROLE_LABELS)
    except pdf.FontMissing as err:
        return _font_missing(err)
    audit_read(ins)
    return _pdf_response(data, f"instruction-{ins.id}.pdf")


@bp.post("/documents/journal/<int:instruction_id>/scan")
@requires(DocPerm.JOURNAL_MANAGE)
def instruction_scan(instruction_id):
    ins = get_or_404(Instruction, instruction_id)
    form = ScanForm()
    if form.validate_on_submit():
        with step(form) as done:
            services.attach_scan(current_user, g.school, ins, request.files.getlist("files"))
        if done:
            flash(_("The signed page is attached."), "success")
            return redirect(url_for("documents.instruction", instruction_id=ins.id))
    return render_template("documents/instruction.html", **_ctx(ins=ins, form=form, may_manage=True)), 422


@bp.get("/documents/my-instructions")
@requires(DocPerm.SIGN)
def my_instructions():
    entries = services.my_entries(current_user, g.school)
    mine = services.next_due(g.school, user=current_user)
    return render_template("documents/my_instructions.html", **_ctx(entries=entries,
                                                                    next_due=mine[0][1] if mine else None))


@bp.post("/documents/my-instructions/<int:instruction_entry_id>/sign")
@requires(DocPerm.SIGN)
def sign(instruction_entry_id):
    entry = get_or_404(InstructionEntry, instruction_entry_id)
    with step() as done:
        signed = services.sign(current_user, g.school, entry)
    if done:
        flash(_("Thank you: your confirmation is recorded with the time.") if signed
              else _("You had confirmed it already."), "success")
    return redirect(url_for("documents.my_instructions"))


# --------------------------------------------------------------------------- students' briefings: printed sheets


@bp.get("/documents/briefings")
@requires(IncPerm.BRIEFINGS_VIEW)
def briefings():
    rows = list(db.session.scalars(scoped(Briefing).order_by(Briefing.held_on.desc(), Briefing.id.desc()).limit(60)
                                   .options(sa.orm.selectinload(Briefing.school_class))))
    classes = {}
    plan = scoped(BriefingPlanItem).options(sa.orm.selectinload(BriefingPlanItem.school_class))
    for item in db.session.scalars(plan):
        classes[item.class_id] = item.school_class
    return render_template("documents/briefings.html", **_ctx(
        rows=rows, classes=sorted(classes.values(), key=lambda c: (c.grade, c.name))))


@bp.get("/documents/briefings/<int:briefing_id>.pdf")
@requires(IncPerm.BRIEFINGS_VIEW)
def briefing_pdf(briefing_id):
    b = get_or_404(Briefing, briefing_id)
    rows = max(b.students_present, b.school_class.students, 1)
    try:
        data = pdf.briefing_sheet(g.school, b, min(rows, 60))
    except pdf.FontMissing as err:
        return _font_missing(err)
    return _pdf_response(data, f"briefing-{b.id}.pdf")


@bp.get("/documents/briefings/plan/<int:briefing_class_id>.pdf")
@requires(IncPerm.BRIEFINGS_VIEW)
def road_plan_pdf(briefing_class_id):
    from ..drills.models import SchoolClass

    klass = get_or_404(SchoolClass, briefing_class_id)
    items = list(db.session.scalars(scoped(BriefingPlanItem).where(BriefingPlanItem.class_id == klass.id)
                                    .order_by(BriefingPlanItem.planned_on)))
    held = {}
    for b in db.session.scalars(scoped(Briefing).where(Briefing.plan_item_id.in_([i.id for i in items]))):
        held.setdefault(b.plan_item_id, b.held_on)
    try:
        data = pdf.road_plan(g.school, klass, [(i, held.get(i.id)) for i in items])
    except pdf.FontMissing as err:
        return _font_missing(err)
    return _pdf_response(data, f"road-plan-{klass.id}.pdf")
