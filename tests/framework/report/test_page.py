"""The report page as text: escaping, every cell, the CSP, links inside the bundle, determinism."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from html.parser import HTMLParser

import pytest

from framework.errors import EtlError
from framework.report.model import QUALITY_COLUMNS, Chart, PageModel, Section, Table
from framework.report.page import render_page, sort_value
from tests.framework.report.pagesample import CATEGORIES, make_model


@pytest.fixture
def model() -> PageModel:
    return make_model()


class _Page(HTMLParser):
    """Tags with their attributes, the text of each <td>/<th> in order, script and style text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._cell: list[str] | None = None
        self._raw: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th"):
            self._cell = []
        elif tag in self.raw:
            self._raw = tag

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None
        elif tag == self._raw:
            self._raw = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._raw:
            self.raw[self._raw].append(data)


def test_hostile_text_is_escaped():
    hostile = "<script>alert(1)</script>"
    model = make_model(title=f"Revenue {hostile} & \"friends\"", chart_title=f"Orders {hostile}",
                       sql="select '</details><script>alert(2)</script>' as x\n-- </pre></code>")
    bad_table = Table(id="evil", title=hostile, columns=(hostile, "n"),
                      rows=(("<img src=x onerror=alert(3)>", "1"),), csv="tables/evil.csv")
    model = dataclasses.replace(model, sections=model.sections + (
        Section(id="evil", title=hostile, description=hostile, charts=(), tables=(bad_table,),
                sql="</details>", sql_file="sql/evil.sql"),))
    html = render_page(model)
    page = _Page(html)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("</details>") == html.count("<details")  # the SQL did not close one
    assert [t for t, _ in page.tags].count("script") == 1  # only the page's own
    assert not [t for t, _ in page.tags if t == "img" and "onerror" in _]
    title = re.search(r"<title>(.*)</title>", html).group(1)
    assert title == "Revenue &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;friends&#34;"
    assert "<img src=x onerror=alert(3)>" in page.cells


def test_every_table_cell_is_on_the_page(model):
    page = _Page(render_page(model))
    cells = page.cells
    for expected in (CATEGORIES.columns, *CATEGORIES.rows, ("Table", "Rows", "Size", "Time"),
                     *model.run.tables, QUALITY_COLUMNS, *model.quality):
        joined = "\x00".join(cells)
        assert "\x00".join(expected) in joined, expected
    for card in model.cards:
        assert card.label in render_page(model) and card.value in render_page(model)


def test_numeric_columns_carry_their_sort_value(model):
    html = render_page(model)
    assert '<td class="num" data-value="1234.0">1,234</td>' in html
    assert '<td class="num" data-value="12500.0">$12,500.00</td>' in html
    assert '<td class="num" data-value="12.5">12.5%</td>' in html
    assert '<td>Books</td>' in html  # text columns sort as text


@pytest.mark.parametrize("text, value", [
    ("1,234", 1234), ("12.5%", 12.5), ("$-3.2K", -3200), ("-$1,000.50", -1000.5),
    ("1.5 MB", 1.5 * 1024**2), ("340 ms", 0.34), ("1e3", 1000), ("\u22127", -7),
    ("2024-01-03", None), ("Books", None), ("", None), ("12 apples", None), ("1,23", None),
    ("1e999", None),
])
def test_sort_value(text, value):
    assert sort_value(text) == (pytest.approx(value) if value is not None else None)


def test_csp_forbids_network_and_pins_the_inline_code(model):
    page = _Page(render_page(model))
    metas = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert metas[0]["http-equiv"] == "Content-Security-Policy"
    policy = dict(p.strip().split(" ", 1) for p in metas[0]["content"].split(";"))
    assert policy["default-src"] == "'none'" and policy["img-src"] == "data:"
    for kind, directive in (("script", "script-src"), ("style", "style-src")):
        digest = hashlib.sha256("".join(page.raw[kind]).encode()).digest()
        assert policy[directive] == f"'sha256-{base64.b64encode(digest).decode()}'"
    assert page.tags.index(("meta", metas[0])) == 3  # right after <meta charset>


def test_only_relative_links_into_the_bundle(model):
    page = _Page(render_page(model))
    links = [a["href"] for t, a in page.tags if t == "a" and a.get("href")]
    files = sorted(h for h in links if not h.startswith("#"))
    assert files == ["charts/daily.png", "sql/categories.sql", "sql/daily.sql",
                     "tables/categories.csv"]
    assert all(h[1:] in {a.get("id") for _, a in page.tags} for h in links if h.startswith("#"))
    sources = [a["src"] for t, a in page.tags if a.get("src")]
    assert sources and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    assert not [t for t, a in page.tags if t in ("link", "iframe", "object", "embed", "base")]
    assert not [a for _, a in page.tags if (a.get("src") or "").startswith(("http", "//"))]


@pytest.mark.parametrize("path", ["/etc/passwd", "../x.png", "charts/../../x.png", "http://e/x",
                                  "file:///x.png", "charts\\x.png", ""])
def test_a_link_leaving_the_bundle_is_refused(model, path):
    chart = dataclasses.replace(model.sections[0].charts[0], png=path)
    section = dataclasses.replace(model.sections[0], charts=(chart,))
    with pytest.raises(EtlError, match="outside the bundle"):
        render_page(dataclasses.replace(model, sections=(section,)))


def test_a_chart_that_is_not_svg_is_refused(model):
    chart = Chart(id="x", title="x", svg="charts/x.svg", png="charts/x.png")
    section = dataclasses.replace(model.sections[0], charts=(chart,))
    with pytest.raises(EtlError, match="not SVG"):
        render_page(dataclasses.replace(model, sections=(section,)))


def test_two_tables_with_one_id_are_refused(model):
    section = dataclasses.replace(model.sections[1], tables=(CATEGORIES, CATEGORIES))
    with pytest.raises(EtlError, match="two tables have the id 'categories'"):
        render_page(dataclasses.replace(model, sections=(section,)))


def test_same_model_same_bytes(model):
    first = render_page(model).encode("utf-8")
    assert render_page(make_model()).encode("utf-8") == first
    assert not re.search(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}T", first.decode())  # no build time


def test_an_empty_model_renders():
    html = render_page(PageModel(title="Empty", subtitle="", cards=(), sections=(), run=None))
    assert "<h1>Empty</h1>" in html and "Run summary" not in html and "Data quality" not in html


def test_the_quality_table_says_how_many_checks_passed_warned_and_failed(model):
    html = render_page(model)
    statuses = [row[3] for row in model.quality]
    expected = (f"{len(statuses)} checks: {statuses.count('passed')} passed, "
                f"{statuses.count('warned')} warned, {statuses.count('failed')} failed")
    assert statuses.count("failed") >= 1 and expected in html
