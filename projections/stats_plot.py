"""The statistics as a figure for an annual report: referrals per month by outcome, and the
distribution of hours to answer (matplotlib, Agg; CJK labels when a CJK font is installed)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

from matplotlib import font_manager
from matplotlib.figure import Figure  # a bare Figure renders with Agg; pyplot is never used

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC",
             "SimHei", "Microsoft YaHei")
LABELS = {
    "en": ("Referrals per month by outcome", "month", "referrals",
           "Hours from submission to first answer", "hours", "referrals"),
    "zh": ("每月转介数（按结果）", "月份", "转介数", "从提交到首次答复的小时数", "小时", "转介数"),
}


def cjk_font() -> str | None:
    """An installed font that can draw Chinese, if any."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def bucket(row: dict[str, Any]) -> str:
    """What a referral came to: its outcome, or where it stands."""
    if row["outcome"]:
        return str(row["outcome"])
    return {"declined": "declined", "withdrawn": "withdrawn"}.get(row["status"], "open")


def figure(rows: Sequence[dict[str, Any]]) -> Figure:
    """Two panels: stacked monthly bars by outcome; a histogram of hours to answer."""
    font = cjk_font()
    title1, x1, y1, title2, x2, y2 = LABELS["zh" if font else "en"]
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    if font:
        fig.set_facecolor("white")
    bars, hist = fig.subplots(1, 2)
    months = sorted({r["month"] for r in rows})
    counts = Counter((r["month"], bucket(r)) for r in rows)
    bottom = [0] * len(months)
    for outcome in sorted({bucket(r) for r in rows}):
        heights = [counts[(m, outcome)] for m in months]
        bars.bar(months, heights, bottom=bottom, label=outcome)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    bars.set(title=title1, xlabel=x1, ylabel=y1)
    bars.tick_params(axis="x", labelrotation=45)
    if months:
        bars.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    hours = [r["hours_to_answer"] for r in rows if r["hours_to_answer"] is not None]
    hist.hist(hours, bins=30, color="tab:blue")
    hist.set(title=title2, xlabel=x2, ylabel=y2)
    if font:
        for text in fig.findobj(lambda o: hasattr(o, "set_fontfamily")):
            text.set_fontfamily(font)  # type: ignore[attr-defined]
    return fig


def render(rows: Sequence[dict[str, Any]], fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes."""
    buffer = io.BytesIO()
    figure(rows).savefig(buffer, format=fmt, dpi=110)
    return buffer.getvalue()
