"""Training curves as self-contained SVG, so a report needs no plotting library and no network."""

from __future__ import annotations

import html
import math

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def line_chart(series: dict[str, list[tuple[float, float]]], title: str, x_label: str = "step",
               width: int = 420, height: int = 240) -> str:
    """One SVG chart with a line per named series of (x, y) points; non-finite points are skipped."""
    clean = {name: [(x, y) for x, y in pts if math.isfinite(y)] for name, pts in series.items()}
    points = [p for pts in clean.values() for p in pts]
    left, right, top, bottom = 48, 12, 24, 36
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{width / 2}" y="14" text-anchor="middle" font-weight="bold">{html.escape(title)}</text>']
    if not points:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no data yet</text></svg>')
        return "".join(parts)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    parts.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
                 'fill="none" stroke="#999"/>')
    for value, anchor in ((y0, sy(y0)), (y1, sy(y1))):
        parts.append(f'<text x="{left - 4}" y="{anchor + 4}" text-anchor="end">{value:.4g}</text>')
    for value in (x0, x1):
        parts.append(f'<text x="{sx(value)}" y="{height - bottom + 14}" text-anchor="middle">{value:.4g}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 4}" text-anchor="middle">'
                 f'{html.escape(x_label)}</text>')
    for i, (name, pts) in enumerate(clean.items()):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}"/>')
        parts.append(f'<text x="{left + 6}" y="{top + 14 + 13 * i}" fill="{color}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
