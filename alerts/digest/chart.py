"""The week in one picture: daily stacked sentiment bars and the daily net sentiment line.

Drawn for a phone first: the PNG is `WIDTH_PX` wide with every text at least `MIN_FONT_PX`
image pixels, so that shown 336 CSS px wide (a 390 px phone, minus the page's margins) or in a
Slack thread preview, axis labels and legend are still at least 11 px. Drawn with matplotlib's
object API on the Agg canvas (no pyplot, no global state), so it is safe in a scheduler thread
and needs no display.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alerts.digest.model import Digest
from alerts.digest.text import Words
from alerts.i18n import weekday_name

COLORS = {
    "negative": "#d64545",
    "neutral": "#b8bec6",
    "positive": "#2e9e5b",
    "unscored": "#eceff3",
    "net": "#1f3a93",
}
WIDTH_PX, HEIGHT_PX, DPI = 720, 640, 100
PHONE_WIDTH_PX = 336  # what a 390 px wide phone shows of the chart (page margins taken off)
MIN_FONT_PX = 24  # x 336/720 = 11.2 px on that phone
_PT = 72 / DPI  # matplotlib sizes fonts in points


def _size(px: float) -> float:
    return px * _PT


def chart_figure(digest: Digest) -> Figure:
    """The chart as a matplotlib figure (rendered by `render_chart`; tests read its texts)."""
    words = Words(digest.language)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    fig.set_facecolor("white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = list(range(len(digest.days)))
    bottom = [0] * len(x)
    stacks = ["negative", "neutral", "positive"]
    if any(d.tally.unscored for d in digest.days):
        stacks.append("unscored")
    for label in stacks:
        values = [getattr(d.tally, label) for d in digest.days]
        ax.bar(x, values, bottom=bottom, color=COLORS[label], width=0.66, label=words[label],
               edgecolor="white", linewidth=0.6, zorder=2)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ticks = [f"{weekday_name(d.day.weekday(), digest.language)}\n{d.day.day}"
             for d in digest.days]
    ax.set_xticks(x, ticks, fontsize=_size(MIN_FONT_PX))
    ax.tick_params(axis="y", labelsize=_size(MIN_FONT_PX))
    ax.set_ylim(0, max([*bottom, 1]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.grid(axis="y", color="#e5e7eb", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(words.chart_alt, loc="left", fontsize=_size(MIN_FONT_PX + 4),
                 fontweight="bold", pad=14)

    net_ax = ax.twinx()
    nets = [100 * d.tally.net if d.tally.net is not None else float("nan") for d in digest.days]
    net_ax.plot(x, nets, color=COLORS["net"], linewidth=3, marker="o", markersize=9,
                label=f"{words.net} (−100…+100)", zorder=3)
    net_ax.axhline(0, color=COLORS["net"], linewidth=1, linestyle=":", alpha=0.6)
    net_ax.set_ylim(-110, 110)
    net_ax.set_yticks([-100, 0, 100])
    net_ax.tick_params(axis="y", labelsize=_size(MIN_FONT_PX), colors=COLORS["net"])
    net_ax.spines["top"].set_visible(False)

    if digest.empty:
        ax.text(0.5, 0.5, words.chart_empty, transform=ax.transAxes, ha="center",
                va="center", fontsize=_size(MIN_FONT_PX + 4), color="#6b7280")
    handles, labels = ax.get_legend_handles_labels()
    line_handles, line_labels = net_ax.get_legend_handles_labels()
    fig.legend(handles + line_handles, labels + line_labels, loc="lower center", ncol=2,
               frameon=False, fontsize=_size(MIN_FONT_PX), handlelength=1.2,
               columnspacing=1.2)
    fig.subplots_adjust(left=0.1, right=0.86, top=0.9, bottom=0.36)
    return fig


def render_chart(digest: Digest) -> bytes:
    """PNG bytes of the week's chart, `WIDTH_PX` x `HEIGHT_PX`."""
    buf = io.BytesIO()
    chart_figure(digest).savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
