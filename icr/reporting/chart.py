"""Bar charts of spend (by month, by vendor) and tax by month, drawn with matplotlib's Agg backend."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from icr.errors import InputError
from icr.reporting.output import MissingExtra, is_missing

CHARTS = {
    "spend-by-month": ("month", "total", "Spend by month", "Month", "Spend"),
    "spend-by-vendor": ("company", "total", "Spend by vendor", "Spend", "Vendor"),
    "tax": ("month", "tax", "Tax by month", "Month", "Tax"),
}
"""Report name -> (category column, value column, title, x label, y label)."""

MAX_VENDORS = 20


def _label(value: Any, missing: str) -> str:
    return missing if is_missing(value) else str(value)


def draw_chart(df: pd.DataFrame, report: str, path: str | Path) -> Path:
    """Draw ``df`` (the report called ``report``) as bars into the PNG file ``path``.

    One panel per currency, its amount axis labelled with the currency. The
    Decimal amounts become floats for drawing only. Vendors: the biggest 20 per
    currency, as horizontal bars.
    """
    if report not in CHARTS:
        raise InputError(f"no chart for the {report} report (charts: {', '.join(CHARTS)})")
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise InputError(f"{out}: the chart is a PNG file: name it *.png")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import StrMethodFormatter
    except ImportError as exc:
        raise MissingExtra("charts need matplotlib: install icr[reports]") from exc

    category, value, title, xlabel, ylabel = CHARTS[report]
    horizontal = report == "spend-by-vendor"
    frame = pd.DataFrame(
        {
            "cat": [_label(v, "(no date)" if category == "month" else "(unknown)") for v in df[category]],
            "cur": [_label(v, "") for v in df["currency"]],
            "val": [float(v) if isinstance(v, Decimal) else 0.0 for v in df[value]],
        }
    )
    # One panel per currency (amounts in different currencies do not add up), biggest first.
    currencies = list(frame.groupby("cur", sort=False)["val"].sum().sort_values(ascending=False).index) or [""]
    all_cats = list(dict.fromkeys(frame["cat"]))
    panels: list[tuple[str, list[str], list[float]]] = []
    for cur in currencies:
        sums = frame[frame["cur"] == cur].groupby("cat", sort=False)["val"].sum()
        if horizontal:
            sums = sums.sort_values(ascending=False).head(MAX_VENDORS)
            cats = list(sums.index)
        else:
            cats = all_cats
        panels.append((cur, cats, [float(sums.get(c, 0.0)) for c in cats]))
    # A currency with nothing to show (say no tax at all) gets no panel, unless nothing has anything.
    panels = [p for p in panels if any(p[2])] or panels[:1]

    rows = [max(len(cats), 1) for _, cats, _ in panels]
    if horizontal:
        fig_size = (9.0, sum(0.4 * n + 1.4 for n in rows))
    else:
        fig_size = (max(6.0, 0.8 * len(all_cats) + 2), 3.6 * len(panels) + 0.6)
    fig, axes = plt.subplots(
        len(panels), 1, figsize=fig_size, dpi=100, squeeze=False, height_ratios=rows if horizontal else None
    )
    try:
        for ax, (cur, cats, ys) in zip(axes[:, 0], panels, strict=True):
            amount_name = xlabel if horizontal else ylabel
            amount_label = f"{amount_name} ({cur or 'no currency'})" if len(frame) else amount_name
            positions = list(range(len(cats)))
            bars = ax.barh(positions, ys, color="#4C72B0") if horizontal else ax.bar(positions, ys, color="#4C72B0")
            if len(cats) <= 36:
                ax.bar_label(bars, labels=[f"{y:,.2f}" if y else "" for y in ys], fontsize=8, padding=2)
            if horizontal:
                ax.set_yticks(positions, cats)
                ax.invert_yaxis()
                ax.set_xlabel(amount_label)
                ax.set_ylabel(ylabel)
                ax.margins(x=0.15)
                ax.set_xlim(left=0)
                ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.2f}" if max(ys, default=0) < 2 else "{x:,.0f}"))
            else:
                tilt = len(cats) > 6
                ax.set_xticks(positions, cats, rotation=45 if tilt else 0, ha="right" if tilt else "center")
                ax.set_xlabel(xlabel)
                ax.set_ylabel(amount_label)
                ax.margins(y=0.15)
                ax.set_ylim(bottom=0)
                ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.2f}" if max(ys, default=0) < 2 else "{x:,.0f}"))
            if not cats:
                ax.text(0.5, 0.5, "no receipts", ha="center", va="center", transform=ax.transAxes)
            ax.grid(axis="x" if horizontal else "y", alpha=0.3)
            ax.set_axisbelow(True)
            ax.spines[["top", "right"]].set_visible(False)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    return out
