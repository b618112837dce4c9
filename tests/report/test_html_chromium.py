"""The HTML report in a real browser (headless Chromium): no console errors, no network, every
figure decoded, the tables present and sortable, no sideways scrolling on a phone.

Needs Debian's `chromium` package (CI installs it); skipped, with the reason, without it.
"""

from __future__ import annotations

import os
import sys
import types

import pytest
from headless import Chromium, find_chromium, inspect, sorted_column
from synthetic import build_study

from optbench.api import open_study
from optbench.report import analyse, write_reports
from optbench.report.content import build_document
from optbench.report.figures import plan_figures
from optbench.report.html import render_html

CHROMIUM = find_chromium()
# CI sets this so that a missing browser fails the run instead of skipping the test.
REQUIRED = os.environ.get("OPTBENCH_REQUIRE_CHROMIUM") == "1"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED,
    reason="headless Chromium not installed (Debian: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("OPTBENCH_REQUIRE_CHROMIUM=1 but no Chromium found (apt-get install chromium)")
    with Chromium(CHROMIUM) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = build_study(tmp_path_factory.mktemp("html") / "s")
    return write_reports(open_study(folder), folder).html


@pytest.mark.parametrize(
    ("width", "height", "mobile"), [(1280, 900, False), (390, 844, True)], ids=["desktop", "phone"]
)
def test_report_renders_cleanly(browser, report, width, height, mobile, tmp_path):
    page = inspect(report, width, height, mobile, browser=browser)
    assert page.console_errors == []
    assert page.requests == []  # nothing leaves the file
    facts = page.facts
    figures = report.read_text().count("<img ")
    assert facts["images"] == facts["images_loaded"] == figures >= 6, facts["broken"]
    assert facts["tables"] >= 8 and facts["sortable"] >= 4
    assert {"summary", "results", "comparisons", "findings", "config", "environment"} <= set(
        facts["sections"]
    )
    # Wide tables scroll inside their box; the page itself never does (a phone would zoom out).
    assert facts["scroll_width"] <= width and facts["viewport_width"] == width
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(page.screenshot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_at_1280_px_the_page_is_exactly_the_viewport_wide_and_no_table_scrolls(browser, report):
    """A desktop reader scrolls down only: the document is as wide as the window, and every
    table, the ten-column results table included, fits the page column."""
    facts = inspect(report, 1280, 900, browser=browser).facts
    assert facts["scroll_width"] == facts["viewport_width"] == 1280
    assert facts["wide_tables"] == []


def test_a_real_head_study_report_at_1280_px(browser, tmp_path):
    """The head section as the study writes it: fits 1280 px, and finding codes read as code,
    not as literal backticks."""
    import optbench

    study = {
        "name": "heads-html",
        "dataset": {"name": "digits", "classes": [3, 8]},
        "optimizers": ["sgd"],
        "epochs": 1,
        "heads": [
            {"units": 1, "activation": "softmax", "loss": "bce"},
            {"units": 2, "activation": "tanh", "loss": "keras_bce"},
            {"units": 1, "activation": "sigmoid", "loss": "bce"},
        ],
        "workers": 1,
    }
    outcome = optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path / "cache")
    page = inspect(outcome.folder / "report.html", 1280, 900, browser=browser)
    facts = page.facts
    assert page.console_errors == [] and page.requests == []
    assert facts["scroll_width"] == facts["viewport_width"] == 1280
    assert facts["wide_tables"] == []
    assert "head.single_unit_softmax" in facts["heads_text"]
    assert "`" not in facts["heads_text"]


def test_results_table_sorts_by_a_column(browser, report):
    ascending, descending = sorted_column(browser, report, 0, "Test acc")
    assert ascending == ["adagrad", "adam(lr=0.01)", "adam", "rmsprop"]
    assert descending == ascending[::-1]


def test_head_section_html_renders_cleanly_on_a_phone(browser, report, monkeypatch, tmp_path):
    """The head-study module's fragment (inline colour styles, a wide table, a figure by
    relative path) passes the page's policy and does not widen the page."""
    wide = "".join(f"<td>column {i} with a long header</td>" for i in range(12))
    fake = types.ModuleType("optbench.report.heads")
    fake.heads_markdown = lambda view: "## Output heads"
    fake.heads_html = lambda view: (
        '<section class="heads"><h2>Output heads</h2>'
        f'<table><tr><td><span style="color:#1f77b4">■</span> 1×softmax</td>{wide}</tr></table>'
        '<img src="figures/curves-all.png" alt="All heads" style="max-width:100%"></section>'
    )
    monkeypatch.setitem(sys.modules, "optbench.report.heads", fake)
    folder = report.parent
    view = open_study(folder)
    analysis = analyse(view)
    page = tmp_path / "heads.html"
    doc = build_document(view, analysis, plan_figures(view, analysis))
    page.write_text(render_html(doc, folder / "figures"), encoding="utf-8")
    result = inspect(page, 390, 844, True, browser=browser)
    assert result.console_errors == [] and result.requests == []
    assert result.facts["images"] == result.facts["images_loaded"]
    assert result.facts["scroll_width"] <= 390
