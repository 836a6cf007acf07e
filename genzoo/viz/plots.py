"""The report's plots, drawn by matplotlib and written as SVG text that an HTML page holds inline.

matplotlib is what the field plots with, it is well kept, and its SVG output is vector text that a page can carry
with no file beside it. Each plot is its own ``Figure`` drawn by the Agg canvas: no pyplot, so no global state is
touched and plots can be drawn from any thread.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager

import matplotlib
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PANEL = (3.0, 2.1)   # inches of one small plot
STYLE = {"svg.fonttype": "none",      # text stays text: small, searchable, drawn in the reader's sans-serif
         "svg.hashsalt": "genzoo",    # the same figure gives the same SVG, byte for byte
         "font.size": 8, "font.family": "sans-serif", "axes.titlesize": 8, "axes.spines.top": False,
         "axes.spines.right": False, "axes.grid": True, "grid.color": "#eeeeee", "legend.frameon": False}
NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
# what a standalone SVG file declares and a page's inline <svg> needs not (the HTML parser knows SVG's namespaces)
DOCUMENT_ONLY = re.compile(r'<\?xml[^>]*>\s*|<!DOCTYPE[^>]*>\s*|\s+xmlns(:\w+)?="[^"]*"')


def styled() -> AbstractContextManager:
    """matplotlib's settings for the report's plots, for the drawing and the writing of a figure."""
    return matplotlib.rc_context(STYLE)  # type: ignore[arg-type]   # its stubs list every key as a Literal


def figure(panels: int = 1, columns: int = 3) -> tuple[Figure, list]:
    """A Figure of ``panels`` small plots, ``columns`` to a row, and its axes in reading order."""
    rows, columns = math.ceil(panels / columns), min(panels, columns)
    with styled():
        fig = Figure(figsize=(PANEL[0] * columns, PANEL[1] * rows), layout="constrained")
        FigureCanvasAgg(fig)
        axes = [fig.add_subplot(rows, columns, i + 1) for i in range(panels)]
    return fig, axes


def svg_document(fig: Figure) -> str:
    """The figure as a standalone SVG file's text."""
    buffer = io.StringIO()
    with styled():
        fig.savefig(buffer, format="svg", metadata=NO_METADATA)
    return buffer.getvalue()


def inline_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element for an HTML page: no XML prolog, no namespace URLs."""
    return DOCUMENT_ONLY.sub("", svg_document(fig)).strip()


MAX_POINTS = 500   # a curve longer than this is drawn through the means of runs of consecutive points


def thinned(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The finite points, or, past MAX_POINTS of them, the means of equal runs of consecutive points: the trend of
    a long noisy log, in a page of a sensible size."""
    kept = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    run = math.ceil(len(kept) / MAX_POINTS)
    if run <= 1:
        return kept
    chunks = [kept[i:i + run] for i in range(0, len(kept), run)]
    return [(sum(x for x, _ in c) / len(c), sum(y for _, y in c) / len(c)) for c in chunks]


def legend_below(fig: Figure) -> None:
    """One legend for the figure, below its plots (never over a curve), naming each label once; none for one."""
    handles: dict[str, Artist] = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if len(handles) > 1:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=len(handles))


def training_curves(records: list[dict]) -> Figure | None:
    """A panel per scalar a run logged (metrics.jsonl records), by step: training in blue, the same scalar on
    held-out data in red, scheduled evaluations in green (each :func:`thinned`); None when the run logged nothing."""
    series: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for record in records:
        split = record.get("split", "train")
        for key, value in record.items():
            if key not in ("step", "epoch", "time", "split") and isinstance(value, (int, float)):
                series.setdefault(key, {}).setdefault(split, []).append((record["step"], float(value)))
    if not series:
        return None
    colors = {"train": "#1f77b4", "validation": "#d62728", "eval": "#2ca02c"}
    fig, axes = figure(len(series), columns=4)
    with styled():
        for ax, (key, splits) in zip(axes, series.items()):
            for split, points in splits.items():
                kept = thinned(points)
                ax.plot([x for x, _ in kept], [y for _, y in kept], color=colors.get(split, "#555555"),
                        linewidth=1, marker="o" if split != "train" else None, markersize=2.5, label=split)
            ax.set_title(key)
            ax.set_xlabel("step")
        legend_below(fig)
    return fig


def loss_against_fd(points: Sequence[Sequence[float]], watched: str) -> Figure:
    """The loss a user watches while a GAN trains (mean since the previous scheduled evaluation) against that
    evaluation's FD, a point per evaluation, coloured by step: whether the loss says how good the samples are
    (Arjovsky et al. 2017, Figure 3 and 4: a WGAN's critic estimate does, a GAN's generator loss does not)."""
    fig, (ax,) = figure(1)
    with styled():
        steps, losses, fds = zip(*points)
        dots = ax.scatter(losses, fds, c=steps, cmap="viridis", s=14)
        fig.colorbar(dots, ax=ax, label="step")
        ax.set_xlabel(watched)
        ax.set_ylabel("FD of the scheduled evaluation")
        ax.set_title(f"{watched} against FD")
    return fig


def class_histogram(samples: Sequence[float], classes: Sequence[str], real: Sequence[float] | None = None) -> Figure:
    """The share of samples the feature network puts in each class, beside real images' where given: a model that
    drops modes leaves bars empty (Metz et al. 2017, Section 3.3)."""
    fig, (ax,) = figure(1)
    with styled():
        positions = range(len(samples))
        width = 0.4 if real is not None else 0.8
        ax.bar([p - width / 2 if real is not None else p for p in positions], samples, width, label="samples",
               color="#1f77b4")
        if real is not None:
            ax.bar([p + width / 2 for p in positions], real, width, label="real images", color="#aaaaaa")
            legend_below(fig)
        ax.set_xticks(list(positions), [str(name)[:6] for name in classes])
        ax.set_ylabel("share")
        ax.set_title("classes of the samples")
    return fig
