"""The report's plots: matplotlib figures rendered by Agg into PNG data URIs.

Figures are built with matplotlib.figure.Figure, not pyplot: no global state, no
interactive backend, nothing left open between reports. Text that reaches a figure
(test numbers, leaderboard column names) is made plain first: a "$" would start
matplotlib's math mode, and a malformed formula there is an error.
"""
import base64
import io
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

DPI = 100
BLUE, ORANGE, GREEN, RED = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"


@dataclass
class Plot:
    uri: str      # data:image/png;base64,...
    width: int    # pixels
    height: int
    alt: str


def plain(text, limit=60):
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[:limit - 3] + "..."
    return text.replace("$", r"\$")


def _render(fig, alt):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    width, height = (int(round(v * DPI)) for v in fig.get_size_inches())
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return Plot(uri, width, height, alt)


def _figure(height=3.2, width=7.5, counts="y"):
    """A figure and its axes; `counts` names the axis counting submissions (whole numbers)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    if counts:
        getattr(ax, f"{counts}axis").set_major_locator(MaxNLocator(integer=True))
    return fig, ax


def score_histogram(values, max_score, mean, median):
    fig, ax = _figure()
    top = max([max_score] + list(values)) or 1.0
    ax.hist(values, bins=np.linspace(0, top, 21), color=BLUE, edgecolor="white")
    ax.axvline(mean, color=RED, linestyle="--", label=f"mean {mean:.2f}")
    ax.axvline(median, color=GREEN, linestyle=":", linewidth=2, label=f"median {median:.2f}")
    ax.set_xlabel(f"total score (of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.legend(loc="upper left")
    return _render(fig, f"Histogram of {len(values)} total scores")


def pass_rates(tests):
    """Horizontal bars, one per test, first test on top."""
    height = min(14.0, 1.0 + 0.28 * len(tests))
    fig, ax = _figure(height=height, counts=None)
    y = np.arange(len(tests))
    rates = [100.0 * t.pass_rate for t in tests]
    ax.barh(y, rates, color=[GREEN if r >= 80 else ORANGE if r >= 50 else RED for r in rates])
    ax.set_yticks(y, [plain(t.number, 12) for t in tests])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions passing")
    ax.set_ylabel("test")
    for yi, rate in zip(y, rates):
        ax.text(min(rate + 1, 88), yi, f"{rate:.0f}%", va="center", fontsize=8)
    return _render(fig, f"Pass rate of each of {len(tests)} tests")


def timing_histogram(s):
    """Ratios on a log axis: measured ones, and runs stopped (shown at their lower bound)."""
    fig, ax = _figure(height=2.8)
    everything = s.measured + s.stopped + ([s.limit] if s.limit else [])
    low, high = max(min(everything) / 1.3, 0.01), max(everything) * 1.3
    bins = np.geomspace(low, high, 25)
    ax.hist([s.measured, s.stopped], bins=bins, stacked=True, color=[BLUE, ORANGE], edgecolor="white",
            label=["measured", "stopped: at least this"])
    if s.limit:
        ax.axvline(s.limit, color=RED, linestyle="--", label=f"limit {s.limit:g}x")
    ax.set_xscale("log")
    # plain tick labels: the log axis's default ones are math text ("$10^{1}$")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("time of the submission / time of the reference")
    ax.set_ylabel("submissions")
    ax.set_title(plain(f"{s.number}: {s.name}", 90), fontsize=10)
    ax.legend(fontsize=8)
    return _render(fig, f"Timing ratios of test {s.number}")


def metric_histogram(m):
    fig, ax = _figure(height=2.8)
    marks = [v for v in (m.floor, m.full) if v is not None]
    low, high = min(m.values + marks), max(m.values + marks)
    pad = (high - low) * 0.05 or 1.0
    ax.hist(m.values, bins=np.linspace(low - pad, high + pad, 26), color=BLUE, edgecolor="white")
    if m.floor is not None:
        ax.axvline(m.floor, color=RED, linestyle="--", label=f"no credit at or below {m.floor:g}")
    if m.full is not None:
        ax.axvline(m.full, color=GREEN, linestyle="--", label=f"full credit at or above {m.full:g}")
    ax.set_xlabel(plain(m.column))
    ax.set_ylabel("submissions")
    if marks:
        ax.legend(fontsize=8)
    return _render(fig, f"Distribution of {m.column}")
