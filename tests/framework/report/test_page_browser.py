"""The report page in a real headless browser (Playwright driving Debian's Chromium).

Loads index.html from file:// and checks what a reader does: no console error, no request other
than file: or data:, every image drawn, a header click sorts, the CSV download equals the table,
dark mode changes the colours, print to PDF works. Screenshots of both themes are kept in
tests/artifacts/report-page/. Without /usr/bin/chromium (apt-get install chromium) or the
playwright package the tests skip, or fail under CI=true.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from pathlib import Path

import pytest

from tests.framework.report.pagesample import CATEGORIES, make_model, write_bundle

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "report-page"


def _missing(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[dev]'")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"no browser at {CHROMIUM}: apt-get install chromium")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield chromium
        chromium.close()


def _matplotlib_chart():
    """A chart as the bundle builder makes them: matplotlib's SVG, transparent background."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from framework.report.model import Chart

    with plt.rc_context({"svg.hashsalt": "report", "svg.fonttype": "path"}):
        figure = Figure(figsize=(6, 3), layout="constrained")
        axes = figure.subplots()
        axes.plot([1, 2, 3, 4], [10, 30, 20, 40], marker="o")
        axes.set(title="Sessions per day", xlabel="Day", ylabel="Sessions")
        out = io.StringIO()
        figure.savefig(out, format="svg", transparent=True, metadata={"Date": None})
    return Chart(id="sessions", title="Sessions per day", svg=out.getvalue(),
                 png="charts/sessions.png")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    model = make_model()
    trends = model.sections[0]
    trends = dataclasses.replace(trends, charts=trends.charts + (_matplotlib_chart(),))
    model = dataclasses.replace(model, sections=(trends,) + model.sections[1:])
    return write_bundle(tmp_path_factory.mktemp("bundle"), model)


class _Opened:
    def __init__(self, page, requests, errors):
        self.page, self.requests, self.errors = page, requests, errors


@pytest.fixture
def opened(browser, bundle):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(bundle.as_uri(), wait_until="load")
    yield _Opened(page, requests, errors)
    context.close()


def _column(page, table_id: str, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#{table_id} tbody tr", f"rows => rows.map(r => r.cells[{index}].textContent)")


def _cells(page, table_id: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table_id} tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))")


def test_loads_offline_without_errors_and_draws_every_image(opened):
    assert opened.errors == []
    assert opened.requests and all(u.startswith(("file:", "data:")) for u in opened.requests)
    widths = opened.page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 2 and all(w > 0 for w in widths), widths


def test_clicking_a_header_sorts_the_table(opened):
    page, table = opened.page, "table-categories"
    page.click(f"#{table} th:nth-child(3) button")  # Revenue: "$2,001.50" etc. sort as numbers
    assert _column(page, table, 2) == ["$150.25", "$2,001.50", "$12,500.00", "$99,000.00"]
    assert page.get_attribute(f"#{table} th:nth-child(3)", "aria-sort") == "ascending"
    page.click(f"#{table} th:nth-child(3) button")
    assert _column(page, table, 2) == ["$99,000.00", "$12,500.00", "$2,001.50", "$150.25"]
    page.click(f"#{table} th:nth-child(2) button")  # Orders
    assert _column(page, table, 1) == ["5", "98", "1,234", "12,001"]
    page.click(f"#{table} th:nth-child(1) button")  # Category, as text
    assert _column(page, table, 0) == ["Audio", "Books", "Garden", "Toys"]
    assert page.get_attribute(f"#{table} th:nth-child(2)", "aria-sort") is None
    assert opened.errors == []


def test_the_csv_download_equals_the_table(opened):
    page = opened.page
    with page.expect_download() as info:
        page.click("button.download[data-table='table-categories']")
    download = info.value
    assert download.suggested_filename == "categories.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows == [list(CATEGORIES.columns), *map(list, CATEGORIES.rows)]
    assert rows == _cells(page, "table-categories")
    page.click("#table-categories th:nth-child(4) button")  # sorted: the download follows
    with page.expect_download() as info:
        page.click("button.download[data-table='table-categories']")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert rows == _cells(page, "table-categories") and rows[1][0] == "Audio"
    assert all(u.startswith(("file:", "data:")) for u in opened.requests)
    assert opened.errors == []


def _colours(page) -> dict[str, str]:
    return page.evaluate("""() => {
        const style = sel => getComputedStyle(document.querySelector(sel));
        return {body: style('body').backgroundColor, text: style('body').color,
                card: style('.card').backgroundColor, cell: style('td').color,
                plate: style('.plate').backgroundColor};
    }""")


def test_dark_mode_changes_the_colours_and_keeps_charts_on_a_light_plate(opened):
    page = opened.page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(color_scheme="light")
    light = _colours(page)
    page.screenshot(path=str(ARTIFACTS / "light.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    dark = _colours(page)
    page.screenshot(path=str(ARTIFACTS / "dark.png"), full_page=True)
    assert dark["body"] != light["body"] and dark["text"] != light["text"]
    assert dark["card"] != light["card"] and dark["cell"] != light["cell"]
    assert _luminance(dark["body"]) < 0.2 < 0.8 < _luminance(light["body"])
    assert _luminance(dark["plate"]) > 0.8  # matplotlib's dark text stays readable
    for name in ("light.png", "dark.png"):
        assert (ARTIFACTS / name).read_bytes().startswith(b"\x89PNG")


def _luminance(css_colour: str) -> float:
    r, g, b = (int(v) for v in css_colour[css_colour.index("(") + 1:-1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_print_hides_the_buttons_and_makes_a_pdf(opened):
    page = opened.page
    page.emulate_media(media="print")
    shown = page.eval_on_selector_all(
        "button.download, nav.toc",
        "els => els.filter(e => getComputedStyle(e).display !== 'none').length")
    assert shown == 0
    headers = page.eval_on_selector_all("#table-categories th", "ths => ths.map(t => t.innerText)")
    assert headers == list(CATEGORIES.columns)  # header labels are printed, only not clickable
    breaks = page.eval_on_selector_all(
        "figure.chart", "els => els.map(e => getComputedStyle(e).breakInside)")
    assert breaks and set(breaks) == {"avoid"}
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "print.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert opened.errors == []


def test_the_bundle_files_the_page_links_exist(opened, bundle):
    hrefs = opened.page.eval_on_selector_all(
        "a[href]", "links => links.map(a => a.getAttribute('href'))")
    files = [h for h in hrefs if not h.startswith("#")]
    assert files and all((bundle.parent / h).is_file() for h in files), files
