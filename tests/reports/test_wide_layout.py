"""The director's laptop (issue 14): the home page's cards in groups (act now, today, and the cards that only
inform folded under their heading), and the wide-screen stylesheet that phones never apply."""

from __future__ import annotations

from safetyops.dashboard.cards import Card, grouped
from tests.conftest import login


def test_grouping_rules():
    cards = [
        Card("a", urgency=100),
        Card("b", urgency=10, tone="danger"),
        Card("c", urgency=60),
        Card("d", urgency=10, tone="warning"),
        Card("e", urgency=5),
        Card("f", urgency=15),
    ]
    groups = [(key, [c.title for c in group]) for key, _label, group in grouped(cards)]
    assert groups == [("act", ["a", "b"]), ("today", ["c", "d"]), ("info", ["e", "f"])]
    assert [key for key, _l, _g in grouped([Card("x", urgency=5)])] == ["info"]


def _home(client, user):
    login(client, user)
    return client.get("/").get_data(as_text=True)


def test_directors_home_is_grouped_and_informing_cards_fold(client, f):
    director = f.user("director", locale="en")
    f.appointment(user=director)  # "You are responsible for": a card that only informs
    f.schedule("fire_daily_walk")
    html = _home(client, director)
    assert 'class="home-grouped"' in html
    start = html.index('<details class="card-group">')
    folded = html[start : html.index("</details>", start)]
    assert "For information" in folded and "You are responsible for" in folded
    assert "You are responsible for" not in html[: html.index('<details class="card-group">')]


def test_a_teachers_home_is_one_list(client, f):
    teacher = f.user("teacher", locale="en")
    f.appointment(user=teacher)
    html = _home(client, teacher)
    assert 'class="card-group"' not in html and "home-grouped" not in html


def test_wide_stylesheet_is_for_wide_screens_only(client, f):
    html = _home(client, f.user("teacher", locale="en"))
    assert "wide.css" in html and 'media="(min-width: 1000px)"' in html
    css = client.get("/static/css/wide.css").get_data(as_text=True)
    assert "@media" not in css  # the link's media query is the only gate: nothing in it for a phone
    assert "main:has(" in css and ".home-grouped" in css
