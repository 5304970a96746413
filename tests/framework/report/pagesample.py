"""A small synthetic report for the page tests: a real SVG chart, a real PNG, tables of
formatted numbers, and the bundle folder around index.html."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from framework.report.model import Card, Chart, PageModel, RunSummary, Section, Table

SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" width="320pt" height="160pt" viewBox="0 0 320 160">
 <title>{title}</title>
 <rect x="40" y="100" width="40" height="40" fill="#0072b2"/>
 <rect x="100" y="60" width="40" height="80" fill="#e69f00"/>
 <rect x="160" y="20" width="40" height="120" fill="#009e73"/>
 <line x1="30" y1="140" x2="300" y2="140" stroke="#000"/>
 <text x="160" y="155" font-size="10" text-anchor="middle">{title}</text>
</svg>
"""

CATEGORIES = Table(
    id="categories", title="Revenue by category",
    columns=("Category", "Orders", "Revenue", "Conversion"),
    rows=(("Books", "1,234", "$12,500.00", "12.5%"),
          ("Toys", "98", "$2,001.50", "3.0%"),
          ("Garden", "12,001", "$150.25", "45.0%"),
          ("Audio", "5", "$99,000.00", "0.5%")),
    csv="tables/categories.csv",
)


def png_bytes(width: int = 8, height: int = 4) -> bytes:
    """A valid RGB PNG of one colour, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + b"\x00\x72\xb2" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def make_model(title: str = "Clickstream report", chart_title: str = "Daily orders",
               sql: str = "select category, count(*) as orders\nfrom fact_orders\ngroup by 1",
               ) -> PageModel:
    chart = Chart(id="daily", title=chart_title, svg=SVG.format(title="Daily orders"),
                  png="charts/daily.png")
    return PageModel(
        title=title, subtitle="Run 20260101T000000Z \u00b7 3 days of events",
        cards=(Card("Revenue", "$113,651.75", "over 3 days"), Card("Orders", "13,338")),
        sections=(
            Section(id="trends", title="Daily trends", description="Orders per day.",
                    charts=(chart,), tables=(), sql=sql, sql_file="sql/daily.sql"),
            Section(id="categories", title="Categories", description="Revenue by category.",
                    charts=(), tables=(CATEGORIES,), sql="select * from categories",
                    sql_file="sql/categories.sql"),
        ),
        run=RunSummary(run_id="20260101T000000Z", status="succeeded", seconds=42.5,
                       tables=(("fact_orders", "13,338", "1.2 MB", "3.1 s"),
                               ("dim_product", "50", "12.0 KB", "0.4 s")),
                       malformed=3, quarantined=1),
        quality=(("fact_orders", "not_null(order_id)", "error", "passed", "0", "0.0%", ""),
                 ("fact_orders", "expression(revenue >= 0)", "error", "failed", "2", "0.2%",
                  "sink check")),
    )


def write_bundle(folder: Path, model: PageModel) -> Path:
    """index.html and the files it links to, as the bundle builder lays them out."""
    from framework.report.page import render_page

    (folder / "charts").mkdir(parents=True, exist_ok=True)
    (folder / "tables").mkdir(exist_ok=True)
    (folder / "sql").mkdir(exist_ok=True)
    for section in model.sections:
        (folder / section.sql_file).write_text(section.sql + "\n", encoding="utf-8")
        for chart in section.charts:
            (folder / chart.png).write_bytes(png_bytes())
            (folder / chart.png).with_suffix(".svg").write_text(chart.svg, encoding="utf-8")
        for table in section.tables:
            lines = [",".join(table.columns)] + [",".join(f'"{c}"' for c in r) for r in table.rows]
            (folder / table.csv).write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = folder / "index.html"
    index.write_text(render_page(model), encoding="utf-8")
    return index
