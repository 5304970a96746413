"""One chart of a report drawn with matplotlib (Agg): PNG and SVG bytes, byte-identical from one
build to the next (fixed hash salt and ids, no dates or software names in the files).

Imported only when a bundle is built (matplotlib is heavy): `etl --help` stays instant.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from framework.report.definition import ChartDef  # noqa: E402
from framework.report.formats import as_float, axis, tick  # noqa: E402

# Okabe-Ito: told apart by people with any common colour-vision deficiency
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
STYLE = {
    "svg.hashsalt": "sparketl-report", "svg.id": "chart", "svg.fonttype": "path",
    "font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.labelsize": 10,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#dddddd",
    "grid.linewidth": 0.6, "figure.dpi": 100, "savefig.dpi": 120,
    "path.simplify": False, "axes.axisbelow": True,
}
SIZE = (8.0, 4.2)  # inches: 960 x 504 px at 120 dpi, readable on a laptop screen


def draw(chart: ChartDef, columns: Sequence[str], rows: Sequence[Sequence[Any]]
         ) -> tuple[bytes, bytes]:
    """(png, svg) of `chart` over a query's rows."""
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        try:
            _KINDS[chart.kind](ax, chart, data)
            ax.set_title(chart.title, loc="left")
            ax.set_xlabel(chart.x_label)
            ax.set_ylabel(chart.y_label)
            if not rows:
                ax.text(0.5, 0.5, "no rows", transform=ax.transAxes, ha="center",
                        va="center", color="#666666")
            png, svg = io.BytesIO(), io.BytesIO()
            fig.savefig(png, format="png", metadata={"Software": None})
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    return png.getvalue(), svg.getvalue()


def _numbers(values: Sequence[Any]) -> list[float]:
    return [v if v is not None else float("nan") for v in map(as_float, values)]


def _labels(values: Sequence[Any]) -> list[str]:
    return ["(unknown)" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)
            for v in values]


def _y_axis(ax: Any, fmt: str) -> None:
    form = axis(fmt)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tick(v, form)))
    if fmt == "integer":
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _x_dates(ax: Any, xs: Sequence[Any]) -> bool:
    if xs and all(isinstance(v, dt.date) for v in xs):
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        return True
    return False


def _legend(ax: Any, n: int) -> None:
    if n > 1:
        ax.legend(frameon=False, fontsize=9, loc="best")


def _series_names(chart: ChartDef) -> list[str]:
    return [c.replace("_", " ") for c in chart.y]


def _line(ax: Any, chart: ChartDef, data: dict) -> None:
    xs = data[chart.x]
    if not _x_dates(ax, xs):
        xs = _labels(xs)
    for col, name in zip(chart.y, _series_names(chart), strict=True):
        ax.plot(xs, _numbers(data[col]), marker="o", markersize=3, linewidth=1.8, label=name)
    _y_axis(ax, chart.format)
    _legend(ax, len(chart.y))


def _bars(ax: Any, chart: ChartDef, data: dict, stacked: bool) -> None:
    if chart.series:  # long form: one bar (segment) per distinct series value
        cats = list(dict.fromkeys(_labels(data[chart.x])))
        groups = list(dict.fromkeys(_labels(data[chart.series])))
        table: dict[tuple[str, str], float] = {}
        for x, s, v in zip(_labels(data[chart.x]), _labels(data[chart.series]),
                           _numbers(data[chart.y[0]]), strict=True):
            table[(x, s)] = table.get((x, s), 0.0) + (0.0 if v != v else v)
        series = [(g, [table.get((c, g), 0.0) for c in cats]) for g in groups]
    else:
        cats = _labels(data[chart.x])
        series = [(n, _numbers(data[c])) for c, n in zip(chart.y, _series_names(chart),
                                                         strict=True)]
    positions = list(range(len(cats)))
    width = 0.8 if stacked or len(series) == 1 else 0.8 / len(series)
    bottom = [0.0] * len(cats)
    for k, (name, values) in enumerate(series):
        clean = [0.0 if v != v else v for v in values]
        if stacked:
            ax.bar(positions, clean, 0.8, bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, clean, strict=True)]
        else:
            shift = (k - (len(series) - 1) / 2) * width
            ax.bar([p + shift for p in positions], clean, width, label=name)
    step = -(-len(cats) // 15)  # at most 15 labels: every step-th one
    shown = [c if k % step == 0 else "" for k, c in enumerate(cats)]
    wide = max(map(len, cats), default=0) > 8
    ax.set_xticks(positions, shown, rotation=30 if wide else 0, ha="right" if wide else "center")
    ax.grid(axis="x", visible=False)
    _y_axis(ax, chart.format)
    _legend(ax, len(series))


def _bar(ax: Any, chart: ChartDef, data: dict) -> None:
    _bars(ax, chart, data, stacked=False)


def _stacked_bar(ax: Any, chart: ChartDef, data: dict) -> None:
    _bars(ax, chart, data, stacked=True)


def _funnel(ax: Any, chart: ChartDef, data: dict) -> None:
    steps = _labels(data[chart.x])
    values = [0.0 if v != v else v for v in _numbers(data[chart.y[0]])]
    top = max(values, default=0.0) or 1.0
    positions = list(range(len(steps)))[::-1]
    ax.barh(positions, values, 0.7, left=[(top - v) / 2 for v in values], color=PALETTE[0])
    for p, v in zip(positions, values, strict=True):
        text = f"{tick(v, axis(chart.format))} ({100 * v / top:.1f}%)"
        inside = v > top * 0.3
        ax.text(top / 2 if inside else (top + v) / 2 + top * 0.01, p, text, va="center",
                ha="center" if inside else "left", color="white" if inside else "black",
                fontsize=9, fontweight="bold")
    ax.set_yticks(positions, [s.replace("_", " ") for s in steps])
    ax.set_xticks([])
    ax.grid(False)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)


def _heatmap(ax: Any, chart: ChartDef, data: dict) -> None:
    xs, ys = data[chart.x], data[chart.y[0]]
    cols = sorted(set(xs), key=_order)
    rows = sorted(set(ys), key=_order)
    grid = [[float("nan")] * len(cols) for _ in rows]
    for x, y, v in zip(xs, ys, _numbers(data[chart.value]), strict=True):
        grid[rows.index(y)][cols.index(x)] = v
    image = ax.imshow(grid, aspect="auto", cmap="cividis", interpolation="nearest")
    ax.set_xticks(range(len(cols)), _labels(cols),
                  rotation=45 if len(cols) > 12 or any(isinstance(c, dt.date) for c in cols)
                  else 0, ha="right" if len(cols) > 12 else "center")
    names = dict(zip(ys, data[chart.label], strict=True)) if chart.label else {}
    ax.set_yticks(range(len(rows)), _labels([names.get(r, r) for r in rows]))  # label: a name
    ax.grid(False)
    bar = ax.figure.colorbar(image, ax=ax, pad=0.01)
    form = axis(chart.format)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tick(v, form)))
    if len(cols) * len(rows) <= 120:
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if v == v:
                    ax.text(j, i, tick(v, form), ha="center", va="center", fontsize=7,
                            color="white" if v < _middle(grid) else "black")


def _order(value: Any) -> tuple:
    return (value is None, value if value is not None else 0)


def _middle(grid: list[list[float]]) -> float:
    values = [v for row in grid for v in row if v == v]
    return (min(values) + max(values)) / 2 if values else 0.0


def _scatter(ax: Any, chart: ChartDef, data: dict) -> None:
    xs, ys = _numbers(data[chart.x]), _numbers(data[chart.y[0]])
    ax.scatter(xs, ys, s=28, alpha=0.8, color=PALETTE[0], edgecolors="white", linewidths=0.5)
    if chart.label:
        for x, y, text in zip(xs, ys, _labels(data[chart.label]), strict=True):
            ax.annotate(text, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    form = axis(chart.x_format or "number")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tick(v, form)))
    _y_axis(ax, chart.format)


def _histogram(ax: Any, chart: ChartDef, data: dict) -> None:
    values = [v for v in _numbers(data[chart.x]) if v == v]
    ax.hist(values, bins=chart.bins, color=PALETTE[0], edgecolor="white")
    form = axis(chart.x_format or chart.format)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tick(v, form)))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


_KINDS = {"line": _line, "bar": _bar, "stacked_bar": _stacked_bar, "funnel": _funnel,
          "heatmap": _heatmap, "scatter": _scatter, "histogram": _histogram}
