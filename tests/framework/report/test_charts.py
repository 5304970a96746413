"""Chart drawing details checked on the axes matplotlib builds (no Spark)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from framework.report import charts  # noqa: E402
from framework.report.definition import ChartDef  # noqa: E402


def _heatmap(label: str | None) -> ChartDef:
    return ChartDef(id="h", kind="heatmap", title="T", x="hour", y=("dow",), series=None,
                    value="n", label=label, x_label="Hour", y_label="Day", format="integer",
                    x_format=None, bins=10, limit=None, path=())


def _y_ticks(chart: ChartDef, data: dict) -> list[str]:
    fig, ax = plt.subplots()
    try:
        charts._heatmap(ax, chart, data)
        return [t.get_text() for t in ax.get_yticklabels()]
    finally:
        plt.close(fig)


def test_heatmap_rows_sort_by_number_and_show_their_names():
    # rows arrive in any order (a view has no ORDER BY); Sunday = 7 must come last
    data = {"dow": [7, 1, 3, 1], "name": ["Sunday", "Monday", "Wednesday", "Monday"],
            "hour": [0, 0, 1, 1], "n": [5, 6, 7, 8]}
    assert _y_ticks(_heatmap("name"), {**data}) == ["Monday", "Wednesday", "Sunday"]
    assert _y_ticks(_heatmap(None), {**data}) == ["1", "3", "7"]
