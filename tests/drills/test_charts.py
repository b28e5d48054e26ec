from safetyops.drills import charts


def test_evacuation_chart_marks_late_bars_and_has_no_style_attributes():
    svg = str(charts.evacuation_chart([("1.10 Fire", 150, 180, "/drills/1"), ("2.11 Quake", 250, 210, "/drills/2"),
                                       ("3.12 <x>", None, 180, None)], "Evacuation"))
    assert svg.startswith("<svg") and 'role="group"' in svg and "style=" not in svg and "<script" not in svg
    assert svg.count(charts.LATE) == 1 and svg.count(charts.OK) == 1
    assert "2:30" in svg and "4:10" in svg and "&lt;x&gt;" in svg
    # each bar opens its drill's after-action page (issue 14: each bar links to its list)
    assert '<a href="/drills/1" aria-label="1.10 Fire: 2:30 (3:00)">' in svg
    assert '<a href="/drills/2" aria-label="2.11 Quake: 4:10 (3:30)">' in svg and svg.count("<a ") == 2


def test_plan_chart_bars_and_empty_input():
    svg = str(charts.plan_chart([("Sep–Nov", 3, 2), ("Dec–Feb", 2, 0)], "Plan", "Planned", "Held"))
    assert svg.count("<rect") == 3 + 2  # three non-empty bars and two legend squares
    assert str(charts.plan_chart([], "Plan", "Planned", "Held")) == ""
    assert str(charts.evacuation_chart([], "Evacuation")) == ""
