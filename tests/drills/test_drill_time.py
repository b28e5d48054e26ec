"""One drill, one time (issue 14: the board read 3:38 while the drill's PDF read 2:38): the board, the
after-action page and the PDF show the same evacuation time, computed and written by one function each
(`models.evacuation_time`, `models.clock`)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from safetyops.drills import services
from safetyops.drills.models import clock, evacuation_time
from tests.conftest import login

T0 = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # 10:00 in Bishkek


@pytest.fixture
def pdf_text(client, monkeypatch, tmp_path):
    """get(url) -> the PDF's text, words joined by one space: pdftotext's reading of the file when poppler is
    installed, else the text fpdf was given to write (every line and table cell goes through multi_cell)."""
    import fpdf

    written: list[str] = []
    real = fpdf.FPDF.multi_cell

    def record(self, w, h=None, text="", *args, **kw):
        written.append(str(text))
        return real(self, w, h, text, *args, **kw)

    monkeypatch.setattr(fpdf.FPDF, "multi_cell", record)

    def get(url: str) -> str:
        written.clear()
        r = client.get(url)
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            path = tmp_path / "drill.pdf"
            path.write_bytes(r.data)
            return " ".join(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                                           text=True).stdout.split())
        return " ".join(" ".join(written).split())

    return get


def _board_clock(html: str) -> str:
    return re.search(r'id="drill-clock"[^>]*>([^<]*)<', html).group(1)


def test_clock_and_evacuation_time():
    assert [clock(s) for s in (None, 0, 59, 60, 158, 218, 3600)] == ["—", "0:00", "0:59", "1:00", "2:38", "3:38",
                                                                      "60:00"]
    naive = T0.replace(tzinfo=None)  # SQLite's aggregates give naive UTC
    assert evacuation_time(T0, [T0 + dt.timedelta(seconds=100), naive + dt.timedelta(seconds=158)]) == 158
    assert evacuation_time(T0, []) is None


@pytest.mark.parametrize("kind", ["fire", "lockdown"])
def test_board_page_and_pdf_show_the_same_time(client, f, pdf_text, kind):
    a, b = f.school_class(name="5А"), f.school_class(name="5Б")
    drill = services.start_drill(None, f.school_a, kind=kind, now=T0)
    services.report_class(None, f.school_a, drill, a, on_register=25, present=25, evacuated=25,
                          now=T0 + dt.timedelta(seconds=100))
    services.report_class(None, f.school_a, drill, b, on_register=25, present=24, evacuated=24,
                          now=T0 + dt.timedelta(seconds=158))
    services.all_clear(None, f.school_a, drill, now=T0 + dt.timedelta(seconds=218))  # the all clear at 3:38
    login(client, f.user("director"))
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    detail = client.get(f"/drills/{drill.id}").get_data(as_text=True)
    text = pdf_text(f"/drills/{drill.id}/report.pdf")
    label = "Time to all rooms secured" if kind == "lockdown" else "Evacuation time"
    in_pdf = re.search(label + r": (\S+) \(target (\S+)\)", text)
    assert in_pdf, text
    assert _board_clock(board) == in_pdf.group(1) == "2:38"
    assert re.search(r'id="evacuation-time">([^<]*)<', detail).group(1) == "2:38"
    assert in_pdf.group(2) == clock(drill.target_seconds) and f"target {in_pdf.group(2)}" in board
    # each class's time, as on the board
    assert "5А 1:40" in text and "5Б 2:38" in text and "1:40" in board
    assert services.drill_seconds(drill) == services.summary(drill)["evacuation"] == 158


def test_after_the_all_clear_with_no_class_reported_both_show_no_time(client, f, pdf_text):
    """The board used to keep the time to the all clear (here 3:38) where the PDF had no evacuation time."""
    f.school_class(name="5А")
    drill = services.start_drill(None, f.school_a, kind="fire", now=T0)
    services.all_clear(None, f.school_a, drill, confirmed=True, now=T0 + dt.timedelta(seconds=218))
    login(client, f.user("director"))
    board = client.get(f"/drills/{drill.id}/board").get_data(as_text=True)
    state = client.get(f"/drills/{drill.id}/board.json").get_json()
    text = pdf_text(f"/drills/{drill.id}/report.pdf")
    assert _board_clock(board) == "—" and "Evacuation time: — (target 3:00)" in text
    assert 'data-elapsed=""' in board and state["elapsed"] is None
