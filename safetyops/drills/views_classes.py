"""Drills pages: the school's classes, the target times and assembly points (settings), and each class's list
for reunification (students, guardians, the file import).  Routes of the `drills` blueprint (`blueprint.bp`)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, requires
from ..forms_common import choices
from ..uow import audit_read, personal_data, step
from . import planning, reunion, reunion_lists, student_import
from .blueprint import _ctx, _staff_choices, _today, bp
from .forms import ClassForm, DeleteForm, GuardianForm, PointForm, StudentForm, StudentImportForm, TargetsForm
from .models import DRILL_KINDS, AssemblyPoint, Guardian, SchoolClass, Student
from .permissions import DrillPerm

# --- classes, targets, assembly points -----------------------------------------------------------


@bp.get("/drills/classes")
@requires(DrillPerm.VIEW)
def classes():
    return render_template("drills/classes.html", **_ctx(classes=planning.classes(g.school, active_only=False),
                                                         listed=reunion_lists.list_counts(g.school)))


@bp.route("/drills/classes/new", methods=["GET", "POST"], defaults={"drill_class_id": None})
@bp.route("/drills/classes/<int:drill_class_id>/edit", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def class_edit(drill_class_id):
    klass = get_or_404(SchoolClass, drill_class_id) if drill_class_id else None
    form = ClassForm(obj=klass)
    form.homeroom_id.choices = _staff_choices(_("— none —"))
    form.assembly_point_id.choices = choices([(0, _("— none —"))] + [
        (p.id, p.name) for p in planning.assembly_points(g.school, active_only=True)])
    if request.method == "GET" and klass is not None:
        form.homeroom_id.data = klass.homeroom_id or 0
        form.assembly_point_id.data = klass.assembly_point_id or 0
    if form.validate_on_submit():
        with step(form) as done:
            planning.save_class(current_user, g.school, klass, name=form.name.data, grade=form.grade.data,
                                students=form.students.data, homeroom_id=form.homeroom_id.data or None,
                                assembly_point_id=form.assembly_point_id.data or None, is_active=form.is_active.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.classes"))
    return render_template("drills/class_form.html", **_ctx(form=form, klass=klass))


@bp.route("/drills/settings", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def settings():
    form = TargetsForm()
    current = planning.targets(g.school)
    if request.method == "GET":
        for kind in DRILL_KINDS:
            getattr(form, f"target_{kind.value}").data = current[kind]
    if form.validate_on_submit():
        with step(form) as done:
            planning.set_targets(current_user, g.school,
                                 {k.value: getattr(form, f"target_{k.value}").data for k in DRILL_KINDS})
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.settings"))
    return render_template("drills/settings.html", **_ctx(form=form, points=planning.assembly_points(g.school)))


@bp.route("/drills/points/new", methods=["GET", "POST"], defaults={"assembly_point_id": None})
@bp.route("/drills/points/<int:assembly_point_id>", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def point_edit(assembly_point_id):
    point = get_or_404(AssemblyPoint, assembly_point_id) if assembly_point_id else None
    form = PointForm(obj=point)
    if form.validate_on_submit():
        with step(form) as done:
            planning.save_point(current_user, g.school, point, name=form.name.data,
                                description=form.description.data or "", is_active=form.is_active.data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.settings"))
    return render_template("drills/point_form.html", **_ctx(form=form, point=point))


# --- reunification's class lists: students, guardians, the file import (issue 15) --------------------------


@bp.get("/drills/classes/<int:drill_class_id>/students")
@requires(DrillPerm.MANAGE)
@personal_data("students.read_list")
def class_list(drill_class_id):
    klass = get_or_404(SchoolClass, drill_class_id)
    audit_read(klass)
    return render_template("drills/class_list.html", **_ctx(
        klass=klass, students=reunion_lists.students_of(klass, active_only=False),
        delete_form=DeleteForm(formdata=None)))


@bp.route("/drills/classes/<int:drill_class_id>/students/new", methods=["GET", "POST"],
          defaults={"drill_student_id": None})
@bp.route("/drills/students/<int:drill_student_id>", methods=["GET", "POST"], defaults={"drill_class_id": None})
@requires(DrillPerm.MANAGE)
@personal_data("student.read")
def student_edit(drill_class_id, drill_student_id):
    student = get_or_404(Student, drill_student_id) if drill_student_id else None
    klass = student.school_class if student is not None else get_or_404(SchoolClass, drill_class_id)
    form = StudentForm(obj=student)
    if form.validate_on_submit():
        with step(form) as done:
            services_student = reunion.save_student(current_user, g.school, student, klass=klass,
                                                    full_name=form.full_name.data, is_active=form.is_active.data)
        if done:
            flash(_("Saved."), "success")
            if student is None:  # next: the guardians of the new child
                return redirect(url_for("drills.guardian_edit", drill_student_id=services_student.id))
            return redirect(url_for("drills.class_list", drill_class_id=klass.id))
    if student is not None:
        audit_read(student)
    return render_template("drills/student_form.html", **_ctx(form=form, klass=klass, student=student,
                                                              delete_form=DeleteForm(formdata=None)))


@bp.route("/drills/students/<int:drill_student_id>/guardians/new", methods=["GET", "POST"],
          defaults={"drill_guardian_id": None})
@bp.route("/drills/guardians/<int:drill_guardian_id>", methods=["GET", "POST"], defaults={"drill_student_id": None})
@requires(DrillPerm.MANAGE)
@personal_data("guardian.read")
def guardian_edit(drill_student_id, drill_guardian_id):
    guardian = get_or_404(Guardian, drill_guardian_id) if drill_guardian_id else None
    student = guardian.student if guardian is not None else get_or_404(Student, drill_student_id)
    form = GuardianForm(obj=guardian)
    form.region = g.school.country or "KG"
    if request.method == "GET" and guardian is None:
        form.locale.data = g.school.default_locale
    if form.validate_on_submit():
        with step(form) as done:
            reunion_lists.save_guardian(current_user, g.school, student, guardian, full_name=form.full_name.data,
                                        relation=form.relation.data or "", phone=form.phone.e164 or form.phone.data,
                                        locale=form.locale.data, consent_on=form.consent_on.data,
                                        consent_ref=form.consent_ref.data or "", today=_today())
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("drills.class_list", drill_class_id=student.class_id))
    audit_read(guardian or student)
    return render_template("drills/guardian_form.html", **_ctx(form=form, student=student, guardian=guardian))


@bp.post("/drills/guardians/<int:drill_guardian_id>/delete")
@requires(DrillPerm.MANAGE)
def guardian_delete(drill_guardian_id):
    guardian = get_or_404(Guardian, drill_guardian_id)
    class_id = guardian.student.class_id
    if DeleteForm().validate_on_submit():
        reunion_lists.delete_guardian(current_user, g.school, guardian)
        flash(_("The guardian was removed from the list."), "success")
    else:
        flash(_("The form expired. Try again."), "error")
    return redirect(url_for("drills.class_list", drill_class_id=class_id))


@bp.route("/drills/students/import", methods=["GET", "POST"])
@requires(DrillPerm.MANAGE)
def students_import():
    form = StudentImportForm()
    problems, result = [], None
    if form.validate_on_submit():
        problems, done = student_import.from_upload(
            form.file, lambda name, data: student_import.import_file(current_user, g.school, name, data, _today()))
        if done is not None:
            students, guardians, checked = done
            result = {"students": students, "guardians": guardians, "unchanged": checked.unchanged}
    return render_template("drills/students_import.html", **_ctx(form=form, problems=problems, result=result))
