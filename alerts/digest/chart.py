"""The week in one picture: daily stacked sentiment bars and the daily net sentiment line.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global state), so it
is safe in a scheduler thread and needs no display.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alerts.digest.model import Digest
from alerts.digest.text import Words

COLORS = {
    "negative": "#d64545",
    "neutral": "#b8bec6",
    "positive": "#2e9e5b",
    "unscored": "#eceff3",
    "net": "#1f3a93",
}
WIDTH_PX, HEIGHT_PX, DPI = 960, 440, 100


def render_chart(digest: Digest) -> bytes:
    """PNG bytes of the week's chart, `WIDTH_PX` x `HEIGHT_PX`."""
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
        ax.bar(x, values, bottom=bottom, color=COLORS[label], width=0.62, label=words[label],
               edgecolor="white", linewidth=0.6, zorder=2)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(x, [words.weekday(d.day) for d in digest.days], fontsize=12)
    ax.tick_params(axis="y", labelsize=11)
    ax.set_ylabel(words.mentions, fontsize=11)
    ax.set_ylim(0, max([*bottom, 1]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#e5e7eb", zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{digest.brand} · {digest.week}", loc="left", fontsize=14, fontweight="bold")

    net_ax = ax.twinx()
    nets = [100 * d.tally.net if d.tally.net is not None else float("nan") for d in digest.days]
    net_ax.plot(x, nets, color=COLORS["net"], linewidth=2.2, marker="o", markersize=6,
                label=f"{words.net} (−100…+100)", zorder=3)
    net_ax.axhline(0, color=COLORS["net"], linewidth=0.8, linestyle=":", alpha=0.6)
    net_ax.set_ylim(-110, 110)
    net_ax.set_yticks([-100, -50, 0, 50, 100])
    net_ax.tick_params(axis="y", labelsize=11, colors=COLORS["net"])
    net_ax.set_ylabel(words.net, fontsize=11, color=COLORS["net"])
    net_ax.spines["top"].set_visible(False)

    if digest.empty:
        ax.text(0.5, 0.5, words.chart_empty, transform=ax.transAxes, ha="center",
                va="center", fontsize=14, color="#6b7280")
    handles, labels = ax.get_legend_handles_labels()
    line_handles, line_labels = net_ax.get_legend_handles_labels()
    fig.legend(handles + line_handles, labels + line_labels, loc="lower center",
               ncol=len(labels) + 1, frameon=False, fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.92, top=0.9, bottom=0.2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
