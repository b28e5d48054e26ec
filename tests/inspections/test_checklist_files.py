"""Checklist template files: the shipped ones are valid and translated; broken ones are
reported with file, line and field, all errors of a file at once."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from safetyops.inspections import checklist_files as cf
from safetyops.inspections.checklist_files import Error, content_hash, load_dir, load_file, load_text

SHIPPED = {
    # id: (frequency, applies_to key, area, default role)
    "fire_daily_walk": ("school_days", "zone_kinds", "fire_safety", "teacher"),
    "extinguisher_monthly": ("monthly", "asset_types", "fire_safety", "safety_officer"),
    "fire_alarm_monthly": ("monthly", "asset_types", "fire_safety", "safety_officer"),
    "electrical_monthly": ("monthly", "asset_types", "electrical_safety", "safety_officer"),
    "documents_quarterly": ("quarterly", "zone_kinds", "fire_safety", "safety_officer"),
    "territory_daily_guard": ("daily", "zone_kinds", "access_control", "guard"),
    "lab_waste_weekly": ("weekly", "zone_kinds", "ecology", "teacher"),
    "canteen_sanitary_daily": ("school_days", "zone_kinds", "canteen", "canteen"),
}
SHIPPED_FILES = sorted(cf.SHIPPED_DIR.glob("*.yaml"))
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


# --------------------------------------------------------------------------- shipped files


def test_shipped_dir_is_the_repo_checklists_folder():
    assert Path(__file__).resolve().parents[2] / "checklists" == cf.SHIPPED_DIR
    assert cf.SHIPPED_DIR.is_dir()


def test_all_shipped_templates_load_without_errors():
    templates, errors = load_dir(cf.SHIPPED_DIR)
    assert [str(e) for e in errors] == []
    assert set(templates) == set(SHIPPED)
    assert {p.stem for p in SHIPPED_FILES} == set(SHIPPED)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_each_shipped_file_validates(path):
    template, errors = load_file(path)
    assert [str(e) for e in errors] == []
    assert template is not None
    assert template.id == path.stem
    frequency, applies_key, area, role = SHIPPED[template.id]
    assert template.frequency == frequency
    assert template.area == area
    assert template.default_assignee_role == role
    applies = template.to_dict()["applies_to"]
    assert list(applies) == [applies_key] and applies[applies_key]
    assert template.version >= 1
    assert template.opens < template.due
    assert len(template.items) >= 5


def test_shipped_applies_to_targets():
    templates, _ = load_dir(cf.SHIPPED_DIR)
    assert templates["extinguisher_monthly"].asset_types == ("fire_extinguisher",)
    assert templates["fire_alarm_monthly"].asset_types == ("fire_alarm_panel",)
    assert templates["electrical_monthly"].asset_types == ("electrical_panel",)
    assert set(templates["territory_daily_guard"].zone_kinds) == {"yard", "gate"}
    assert templates["lab_waste_weekly"].zone_kinds == ("lab",)
    assert "stairwell" in templates["fire_daily_walk"].zone_kinds


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.stem)
def test_shipped_texts_are_in_all_four_languages(path):
    template, _ = load_file(path)
    assert template is not None
    all_texts = [template.title] + [i.text for i in template.items] + [i.guidance for i in template.items if i.guidance]
    all_texts += [i.deficiency for i in template.items]
    for texts in all_texts:
        for lang in cf.LANGUAGES:
            value = getattr(texts, lang)
            assert isinstance(value, str) and value.strip(), (template.id, lang)
        assert CYRILLIC.search(texts.ky), texts.ky
        assert CYRILLIC.search(texts.ru), texts.ru
        assert CYRILLIC.search(texts.kk), texts.kk
        assert not CYRILLIC.search(texts.en), texts.en
        assert not set("әғқұһіӘҒҚҰҺІ") & set(texts.ky), f"Kazakh letter in Kyrgyz text: {texts.ky}"
        assert len({texts.ky, texts.ru, texts.kk, texts.en}) == 4, f"untranslated text: {texts.en}"
    for item in template.items:
        assert len(item.text.ky) <= cf.ITEM_TEXT_MAX
    # Kyrgyz and Kazakh texts really are in their language (their own letters appear), not Russian.
    ky = " ".join(t.ky for t in all_texts)
    kk = " ".join(t.kk for t in all_texts)
    assert set("өүң") & set(ky)
    assert set("әғқұі") & set(kk)


def test_shipped_item_ids_unique_and_severities_known():
    templates, _ = load_dir(cf.SHIPPED_DIR)
    for template in templates.values():
        ids = [i.id for i in template.items]
        assert len(ids) == len(set(ids))
        assert {i.severity for i in template.items} <= set(cf.SEVERITIES)
        assert any(i.severity == "critical" for i in template.items), template.id


# --------------------------------------------------------------------------- content hash


def test_content_hash_ignores_formatting_but_not_content(tmp_path):
    template, errors = load_file(cf.SHIPPED_DIR / "fire_daily_walk.yaml")
    assert not errors and template is not None
    digest = content_hash(template)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)

    # The same content written differently (no comments, other key order, flow style) hashes the same.
    data = template.to_dict()
    reordered = dict(reversed(list(data.items())))
    (tmp_path / "fire_daily_walk.yaml").write_text(
        yaml.safe_dump(reordered, allow_unicode=True, default_flow_style=True)
    )
    again, errors = load_file(tmp_path / "fire_daily_walk.yaml")
    assert not errors and again is not None
    assert content_hash(again) == digest
    assert again == template

    data["items"][0]["text"]["kk"] += "!"
    (tmp_path / "fire_daily_walk.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    changed, errors = load_file(tmp_path / "fire_daily_walk.yaml")
    assert not errors and changed is not None
    assert content_hash(changed) != digest


def test_content_hashes_differ_between_templates():
    templates, _ = load_dir(cf.SHIPPED_DIR)
    assert len({content_hash(t) for t in templates.values()}) == len(templates)


# --------------------------------------------------------------------------- broken files

BASE = """\
id: sample
version: 1
title:
  ky: "Үлгү текшерүү"
  ru: "Образец проверки"
  kk: "Үлгі тексеру"
  en: "Sample check"
applies_to:
  zone_kinds: [corridor]
frequency: weekly
window: {opens: "08:00", due: "12:00"}
area: fire_safety
default_assignee_role: teacher
items:
  - id: first
    severity: major
    photo_on_fail: true
    text:
      ky: "Биринчи пункт"
      ru: "Первый пункт"
      kk: "Бірінші тармақ"
      en: "First item"
    deficiency:
      ky: "Биринчи пункт аткарылган жок"
      ru: "Первый пункт не выполнен"
      kk: "Бірінші тармақ орындалмады"
      en: "First item not met"
  - id: second
    severity: minor
    photo_on_fail: false
    text:
      ky: "Экинчи пункт"
      ru: "Второй пункт"
      kk: "Екінші тармақ"
      en: "Second item"
    deficiency:
      ky: "Экинчи пункт аткарылган жок"
      ru: "Второй пункт не выполнен"
      kk: "Екінші тармақ орындалмады"
      en: "Second item not met"
    guidance:
      ky: "Кеңеш"
      ru: "Совет"
      kk: "Кеңес"
      en: "Hint"
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def write(tmp_path: Path, text: str, name: str = "sample.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str, name: str = "sample.yaml") -> list[Error]:
    template, errors = load_file(write(tmp_path, text, name))
    assert errors, "expected errors"
    assert template is None
    return errors


def only(errors: list[Error], field: str) -> Error:
    found = [e for e in errors if e.field == field]
    assert len(found) == 1, [str(e) for e in errors]
    return found[0]


def test_base_sample_is_valid(tmp_path):
    template, errors = load_file(write(tmp_path, BASE))
    assert errors == []
    assert template is not None
    assert template.id == "sample"
    assert [i.id for i in template.items] == ["first", "second"]
    assert template.items[1].guidance is not None and template.items[1].guidance.en == "Hint"
    assert template.items[0].guidance is None
    assert (template.opens, template.due) == (dt.time(8, 0), dt.time(12, 0))
    assert template.title.get("kk_KZ") == "Үлгі тексеру"
    assert template.title.get("de") == "Образец проверки"
    assert template.source == tmp_path / "sample.yaml"


def test_missing_language(tmp_path):
    text = BASE.replace('      kk: "Екінші тармақ"\n', "")
    error = only(errors_of(tmp_path, text), "items[1].text.kk")
    assert error.message == "missing"
    assert error.file == "sample.yaml"
    # A missing key is reported on the first line of the mapping it is missing from.
    assert error.line == line_of(text, "Экинчи пункт")
    assert str(error) == f"sample.yaml:{error.line}: items[1].text.kk: missing"


def test_empty_language(tmp_path):
    text = BASE.replace('en: "Sample check"', 'en: ""')
    error = only(errors_of(tmp_path, text), "title.en")
    assert error.line == line_of(text, 'en: ""')
    assert "empty" in error.message


def test_duplicate_item_id(tmp_path):
    text = BASE.replace("  - id: second", "  - id: first")
    error = only(errors_of(tmp_path, text), "items[1].id")
    assert error.line == line_of(text, "- id: first", occurrence=2)
    assert "duplicate item id 'first'" in error.message
    assert f"line {line_of(text, '- id: first')}" in error.message


def test_bad_severity(tmp_path):
    text = BASE.replace("severity: minor", "severity: severe")
    error = only(errors_of(tmp_path, text), "items[1].severity")
    assert error.line == line_of(text, "severity: severe")
    assert "severe" in error.message
    assert str(error).startswith(f"sample.yaml:{error.line}: items[1].severity: ")


def test_yaml_syntax_error_names_its_line(tmp_path):
    text = BASE.replace('  ru: "Образец проверки"', '  ru: "Образец проверки')
    errors = errors_of(tmp_path, text)
    assert len(errors) == 1
    assert errors[0].file == "sample.yaml"
    assert errors[0].message.startswith("YAML syntax error")
    # The scanner notices the unclosed quote somewhere after it starts, never before.
    assert errors[0].line is not None and errors[0].line >= line_of(text, "Образец проверки")


def test_yaml_bad_indentation_line(tmp_path):
    text = BASE.replace("    severity: minor", "   severity: minor")
    errors = errors_of(tmp_path, text)
    assert len(errors) == 1 and errors[0].message.startswith("YAML syntax error")
    assert errors[0].line == line_of(text, "   severity: minor")


def test_unknown_key(tmp_path):
    text = BASE.replace("area: fire_safety\n", "area: fire_safety\ncolour: red\n")
    error = only(errors_of(tmp_path, text), "colour")
    assert error.line == line_of(text, "colour: red")
    assert "unknown key" in error.message


def test_misspelt_key_gets_a_suggestion(tmp_path):
    text = BASE.replace("    photo_on_fail: false", "    photo_on_fial: false")
    errors = errors_of(tmp_path, text)
    misspelt = only(errors, "items[1].photo_on_fial")
    assert "did you mean 'photo_on_fail'" in misspelt.message
    assert only(errors, "items[1].photo_on_fail").message == "missing"


def test_id_must_match_file_stem(tmp_path):
    text = BASE.replace("id: sample", "id: other_name")
    error = only(errors_of(tmp_path, text), "id")
    assert error.line == 1
    assert "other_name" in error.message and "sample" in error.message


def test_several_errors_in_one_file_are_all_reported(tmp_path):
    text = (
        BASE.replace("id: sample", "id: wrong")
        .replace("version: 1", "version: 0")
        .replace("frequency: weekly", "frequency: fortnightly")
        .replace('due: "12:00"', 'due: "25:00"')
        .replace("area: fire_safety\n", "area: fire_safety\nowner: me\n")
        .replace("severity: major", "severity: huge")
        .replace('      kk: "Бірінші тармақ"\n', "")
        .replace("  - id: second", "  - id: first")
    )
    errors = errors_of(tmp_path, text)
    got = {(e.field, e.line) for e in errors}
    expected = {
        ("id", 1),
        ("version", line_of(text, "version: 0")),
        ("frequency", line_of(text, "fortnightly")),
        ("window.due", line_of(text, "25:00")),
        ("owner", line_of(text, "owner: me")),
        ("items[0].severity", line_of(text, "severity: huge")),
        ("items[0].text.kk", line_of(text, "Биринчи пункт")),
        ("items[1].id", line_of(text, "- id: first", occurrence=2)),
    }
    assert expected <= got, sorted(got)
    assert len(errors) == len(expected), [str(e) for e in errors]
    # Sorted by line, every one printable with its file name.
    assert [e.line for e in errors] == sorted(e.line or 0 for e in errors)
    assert all(str(e).startswith("sample.yaml:") for e in errors)


@pytest.mark.parametrize("value", ["0", "-1", '"2"', "1.5", "true", "", "[1]"])
def test_version_must_be_a_positive_int(tmp_path, value):
    text = BASE.replace("version: 1", f"version: {value}")
    error = only(errors_of(tmp_path, text), "version")
    assert error.line == line_of(text, "version:")
    assert "positive whole number" in error.message


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ('{opens: "8:00", due: "12:00"}', "window.opens"),
        ('{opens: "08:00", due: "24:00"}', "window.due"),
        ('{opens: "08:00", due: "12:60"}', "window.due"),
        ('{opens: "12:00", due: "08:00"}', "window.due"),
        ('{opens: "08:00", due: "08:00"}', "window.due"),
        ('{opens: "08:00"}', "window.due"),
        ('{opens: "08:00", due: "12:00", close: "13:00"}', "window.close"),
        ("08:00-12:00", "window"),
    ],
)
def test_bad_window(tmp_path, window, field):
    text = BASE.replace('{opens: "08:00", due: "12:00"}', window)
    error = only(errors_of(tmp_path, text), field)
    assert error.line == line_of(text, "window:")


def test_unquoted_times_are_read_as_written(tmp_path):
    # YAML 1.1 reads unquoted 12:30 as the integer 750; the loader reads the text.
    text = BASE.replace('{opens: "08:00", due: "12:00"}', "{opens: 08:00, due: 12:30}")
    template, errors = load_file(write(tmp_path, text))
    assert errors == [] and template is not None
    assert (template.opens, template.due) == (dt.time(8, 0), dt.time(12, 30))


def test_photo_on_fail_must_be_a_boolean(tmp_path):
    text = BASE.replace("photo_on_fail: true", 'photo_on_fail: "yes"')
    error = only(errors_of(tmp_path, text), "items[0].photo_on_fail")
    assert error.line == line_of(text, 'photo_on_fail: "yes"')


def test_unknown_zone_kind_and_both_applies_to(tmp_path):
    text = BASE.replace("zone_kinds: [corridor]", "zone_kinds: [corridor, hall, corridor]")
    errors = errors_of(tmp_path, text)
    assert "hall" in only(errors, "applies_to.zone_kinds[1]").message
    assert "twice" in only(errors, "applies_to.zone_kinds[2]").message

    text = BASE.replace("  zone_kinds: [corridor]", "  zone_kinds: [corridor]\n  asset_types: [hydrant]")
    assert "not both" in only(errors_of(tmp_path, text), "applies_to").message

    text = BASE.replace("  zone_kinds: [corridor]", "  asset_types: [hydrants]")
    assert "'hydrant'" in only(errors_of(tmp_path, text), "applies_to.asset_types[0]").message


def test_duplicate_yaml_key_is_an_error(tmp_path):
    text = BASE.replace("frequency: weekly\n", "frequency: weekly\nfrequency: daily\n")
    error = only(errors_of(tmp_path, text), "frequency")
    assert error.line == line_of(text, "frequency: daily")
    assert "duplicate key" in error.message


def test_wrong_types(tmp_path):
    text = BASE.replace('  en: "Sample check"', "  en: [Sample, check]").replace("  - id: second", "  - id: 2nd")
    errors = errors_of(tmp_path, text)
    assert "must be text" in only(errors, "title.en").message
    assert "slug" in only(errors, "items[1].id").message

    text = BASE[: BASE.index("items:")] + "items: first\n"
    assert "must be a list" in only(errors_of(tmp_path, text), "items").message

    text = BASE[: BASE.index("items:")] + "items: []\n"
    assert "at least one" in only(errors_of(tmp_path, text), "items").message


def test_wrong_language_in_a_text(tmp_path):
    text = (
        BASE.replace('ky: "Биринчи пункт"', 'ky: "Birinchi punkt"')
        .replace('ky: "Экинчи пункт"', 'ky: "Екінші тармақ"')
        .replace('en: "First item"', 'en: "Первый"')
        .replace('ru: "Второй пункт"', 'ru: "Втoрой пункт"')  # a Latin "o" inside
    )
    errors = errors_of(tmp_path, text)
    assert "Cyrillic" in only(errors, "items[0].text.ky").message
    assert "Kazakh" in only(errors, "items[1].text.ky").message
    assert "Cyrillic" in only(errors, "items[0].text.en").message
    assert "mixes Latin and Cyrillic" in only(errors, "items[1].text.ru").message


def test_item_text_too_long(tmp_path):
    long_text = "Очень " * 20
    text = BASE.replace('ru: "Первый пункт"', f'ru: "{long_text}"')
    error = only(errors_of(tmp_path, text), "items[0].text.ru")
    assert "too long" in error.message


def test_empty_file_and_non_mapping_root(tmp_path):
    assert [str(e) for e in errors_of(tmp_path, "")] == ["sample.yaml:1: file is empty"]
    errors = errors_of(tmp_path, "- a\n- b\n")
    assert len(errors) == 1 and "mapping" in errors[0].message and errors[0].line == 1


def test_missing_top_level_keys_are_all_listed(tmp_path):
    errors = errors_of(tmp_path, "id: sample\n")
    missing = {e.field for e in errors if e.message == "missing"}
    assert missing == {
        "version",
        "title",
        "applies_to",
        "frequency",
        "window",
        "area",
        "default_assignee_role",
        "items",
    }
    assert all(e.line == 1 for e in errors)


def test_not_utf8(tmp_path):
    path = tmp_path / "sample.yaml"
    path.write_bytes(BASE.encode("utf-8") + b"\n# \xff\xfe\n")
    template, errors = load_file(path)
    assert template is None
    assert [(e.line, e.message) for e in errors] == [(BASE.count("\n") + 2, "not valid UTF-8 text")]


def test_error_str_without_line_or_field():
    assert str(Error("a.yaml", None, "", "cannot read file")) == "a.yaml: cannot read file"
    assert str(Error("a.yaml", 3, "", "YAML syntax error: x")) == "a.yaml:3: YAML syntax error: x"
    assert str(Error("a.yaml", None, "id", "duplicate")) == "a.yaml: id: duplicate"


def test_load_text_checks_the_given_file_name():
    template, errors = load_text(BASE, "sample.yaml")
    assert errors == [] and template is not None
    template, errors = load_text(BASE, "renamed.yaml")
    assert template is None and [e.field for e in errors] == ["id"]


def test_load_dir_keeps_good_templates_and_reports_broken_ones(tmp_path):
    write(tmp_path, BASE)
    write(tmp_path, BASE.replace("id: sample", "id: broken").replace("severity: major", "severity: x"), "broken.yaml")
    write(tmp_path, "not: [a template", "syntax.yml")
    write(tmp_path, "ignored", "README.md")
    templates, errors = load_dir(tmp_path)
    assert list(templates) == ["sample"]
    assert {(e.file, e.field) for e in errors} == {("broken.yaml", "items[0].severity"), ("syntax.yml", "")}


def test_load_dir_duplicate_template_id_across_files(tmp_path):
    write(tmp_path, BASE)
    write(tmp_path, BASE, "sample.yml")
    templates, errors = load_dir(tmp_path)
    assert list(templates) == ["sample"]
    assert [str(e) for e in errors] == ["sample.yml: id: duplicate template id 'sample' (also in sample.yaml)"]


def test_load_dir_missing_folder(tmp_path):
    templates, errors = load_dir(tmp_path / "nope")
    assert templates == {} and len(errors) == 1 and errors[0].message == "not a directory"


def test_command_line(tmp_path, capsys):
    assert cf.main([str(cf.SHIPPED_DIR)]) == 0
    assert f"{len(SHIPPED)} template(s) valid, 0 error(s)" in capsys.readouterr().out
    path = write(tmp_path, BASE.replace("severity: major", "severity: x"))
    assert cf.main([str(path)]) == 1
    assert f"sample.yaml:{line_of(BASE, 'severity: major')}: items[0].severity:" in capsys.readouterr().out


def test_every_item_needs_a_deficiency_wording_in_four_languages(tmp_path):
    """A failed item becomes a corrective action titled with its deficiency wording (issue 14)."""
    no_wording = BASE.replace("""    deficiency:
      ky: "Биринчи пункт аткарылган жок"
      ru: "Первый пункт не выполнен"
      kk: "Бірінші тармақ орындалмады"
      en: "First item not met"
""", "")
    assert [(e.field, e.message) for e in errors_of(tmp_path, no_wording)] == [("items[0].deficiency", "missing")]
    no_kazakh = BASE.replace('      kk: "Бірінші тармақ орындалмады"\n', "")
    assert [e.field for e in errors_of(tmp_path, no_kazakh)] == ["items[0].deficiency.kk"]
    template, errors = load_file(write(tmp_path, BASE))
    assert errors == [] and template.items[0].deficiency.ru == "Первый пункт не выполнен"
    assert template.to_dict()["items"][0]["deficiency"]["en"] == "First item not met"


def test_shipped_deficiencies_read_as_deficiencies():
    """Not the passing sentence again; a sample read in each language."""
    templates, _ = load_dir(cf.SHIPPED_DIR)
    for template in templates.values():
        for item in template.items:
            for lang in cf.LANGUAGES:
                assert getattr(item.deficiency, lang) != getattr(item.text, lang), (item.id, lang)
    walk = {i.id: i for i in templates["extinguisher_monthly"].items}
    assert walk["mounted_accessible"].deficiency.ru == (
        "Огнетушитель отсутствует, не закреплён или подход к нему загромождён")
    assert walk["seal_and_pin"].deficiency.ky == "Пломба же сактагыч чека жок"
    assert walk["seal_and_pin"].deficiency.kk == "Пломба немесе сақтандырғыш чека жоқ"
    assert walk["seal_and_pin"].deficiency.en == "Seal or safety pin missing"
