"""Curves as self-contained SVG, so a report needs no plotting library and no network.

The axes get round tick values (1, 2, 2.5 or 5 times a power of ten), labels written to the precision their step
needs, a shared power of ten written once at the axis when the values are very large or very small, and a left
margin as wide as the longest label; the legend sits below the plot, never over the curves.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
FONT_SIZE = 11
CHAR_WIDTH = 6.5      # a generous width of one character of the 11-pixel sans-serif font, in pixels
LEGEND_LINE = 14


@dataclass
class Axis:
    """Round tick values spanning [low, high], and how to write them."""

    low: float
    high: float
    ticks: list[float]
    decimals: int
    exponent: int     # labels show value / 10**exponent; the axis says "x 1e{exponent}" when it is not 0

    def label(self, value: float) -> str:
        scaled = value / 10 ** self.exponent
        text = f"{scaled:,.{self.decimals}f}"
        return "0" if text.strip("-0.,") == "" else text

    @property
    def power(self) -> str:
        return f"× 1e{self.exponent}" if self.exponent else ""


def nice_axis(low: float, high: float, count: int = 5, cover: bool = True) -> Axis:
    """About ``count`` round ticks over [low, high]; with ``cover`` the axis is widened to the round ticks just outside
    the values (for y), without it the axis spans the values and keeps the ticks inside (for steps on x)."""
    if not high > low:
        pad = abs(low) * 0.05 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    ticks = [i * step for i in range(first, last + 1)]
    largest = max(abs(ticks[0]), abs(ticks[-1]))
    exponent = 3 * math.floor(math.log10(largest) / 3) if largest >= 1e5 or largest < 1e-2 else 0
    scaled_step = step / 10 ** exponent
    power = math.floor(math.log10(scaled_step) + 1e-9)
    decimals = max(0, -power + (1 if round(scaled_step / 10 ** power, 6) == 2.5 else 0))
    if cover:
        return Axis(ticks[0], ticks[-1], ticks, decimals, exponent)
    return Axis(low, high, [t for t in ticks if low - 1e-9 * step <= t <= high + 1e-9 * step], decimals, exponent)


def line_chart(series: dict[str, list[tuple[float, float]]], title: str, x_label: str = "step",
               width: int = 420, height: int = 240, y_label: str = "") -> str:
    """One SVG chart with a line per named series of (x, y) points; non-finite points are skipped. A legend below
    the plot names the series when there is more than one."""
    clean = {name: [(x, y) for x, y in pts if math.isfinite(x) and math.isfinite(y)] for name, pts in series.items()}
    points = [p for pts in clean.values() for p in pts]
    legend = [name for name, pts in clean.items() if pts] if len(clean) > 1 else []
    total_height = height + LEGEND_LINE * len(legend)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_height}" '
             f'viewBox="0 0 {width} {total_height}" font-family="sans-serif" font-size="{FONT_SIZE}">',
             f'<text x="{width / 2}" y="14" text-anchor="middle" font-weight="bold">{html.escape(title)}</text>']
    if not points:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no data yet</text></svg>')
        return "".join(parts)
    x_axis = nice_axis(min(p[0] for p in points), max(p[0] for p in points), cover=False)
    y_axis = nice_axis(min(p[1] for p in points), max(p[1] for p in points))
    y_labels = [y_axis.label(v) for v in y_axis.ticks]
    left = 10 + CHAR_WIDTH * max(len(text) for text in y_labels) + (14 if y_label else 0)
    x_last = x_axis.label(x_axis.ticks[-1])
    right, top, bottom = 6 + CHAR_WIDTH * len(x_last) / 2, 24 + (12 if y_axis.power else 0), 36

    def sx(x: float) -> float:
        return left + (x - x_axis.low) / (x_axis.high - x_axis.low) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y_axis.low) / (y_axis.high - y_axis.low) * (height - top - bottom)

    parts.append(f'<rect x="{left:.1f}" y="{top}" width="{width - left - right:.1f}" height="{height - top - bottom}" '
                 'fill="none" stroke="#999"/>')
    for value, text in zip(y_axis.ticks, y_labels):
        parts.append(f'<line x1="{left - 3:.1f}" x2="{width - right:.1f}" y1="{sy(value):.1f}" y2="{sy(value):.1f}" '
                     'stroke="#eee"/>'
                     f'<text x="{left - 5:.1f}" y="{sy(value) + 4:.1f}" text-anchor="end">{text}</text>')
    for value in x_axis.ticks:
        parts.append(f'<text x="{sx(value):.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                     f'{x_axis.label(value)}</text>')
    if y_axis.power:
        parts.append(f'<text x="{left:.1f}" y="{top - 4}" text-anchor="start">{y_axis.power}</text>')
    if y_label:
        parts.append(f'<text transform="translate(12 {(top + height - bottom) / 2:.1f}) rotate(-90)" '
                     f'text-anchor="middle">{html.escape(y_label)}</text>')
    x_text = f"{x_label} ({x_axis.power})" if x_axis.power else x_label
    parts.append(f'<text x="{(left + width - right) / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                 f'{html.escape(x_text)}</text>')
    for i, pts in enumerate(clean.values()):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}"/>')
    for i, name in enumerate(legend):
        color, y = PALETTE[list(clean).index(name) % len(PALETTE)], height + LEGEND_LINE * i + 4
        parts.append(f'<line x1="{left:.1f}" x2="{left + 18:.1f}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" '
                     f'stroke-width="2"/><text x="{left + 24:.1f}" y="{y}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
