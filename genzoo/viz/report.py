"""One self-contained HTML page for a set of runs: samples, training curves and configs, no network needed."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import torch
from PIL import Image

from genzoo import config as configs
from genzoo.evaluate.suite import EVAL_FILE, table_notes, table_rows
from genzoo.grid import png_bytes
from genzoo.run import num_parameters, open_run
from genzoo.train.loop import METRICS, SAMPLES
from genzoo.train.metrics_log import read_metrics
from genzoo.viz.curves import line_chart

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
section{border-top:1px solid #ccc;padding-top:1em;margin-top:1.5em}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
img{image-rendering:pixelated;border:1px solid #ddd}figure{margin:0}
table{border-collapse:collapse;font-size:12px}td,th{padding:1px 8px;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.notes{font-size:12px;color:#555;overflow-wrap:anywhere}pre{white-space:pre-wrap;overflow-wrap:anywhere}"""
PIXELS_PER_IMAGE = 48   # small images are enlarged, nearest-neighbour, to about this side on the page


def scale_for(side: int) -> int:
    """The whole-number enlargement that draws an image of ``side`` pixels at about PIXELS_PER_IMAGE (at least 1)."""
    return max(1, round(PIXELS_PER_IMAGE / side))


def image_tag(images: torch.Tensor, caption: str, scale: int) -> str:
    data = base64.b64encode(png_bytes(images, scale=scale)).decode()
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def curves(records: list[dict]) -> str:
    """A small chart per numeric scalar: training records by step, validation records beside them (a model whose
    phases log different scalars gets a chart for each that any record holds)."""
    charts = []
    for split in ("train", "validation", "eval"):
        rows = [r for r in records if r.get("split", "train") == split]
        keys = dict.fromkeys(k for r in rows for k, v in r.items()
                             if k not in ("step", "epoch", "time", "split") and isinstance(v, (int, float)))
        for key in keys:
            points = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
            charts.append(line_chart({key: points}, f"{split}: {key}", width=330, height=200))
    return "".join(charts)


def figure_tags(run_dir: Path, scale: int) -> str:
    """The model's own figures from its samples folder (a Gibbs chain, a traversal, ...), as images."""
    tags = []
    for path in sorted((run_dir / SAMPLES).glob("*.png")):
        if not path.name.startswith("step_"):
            with Image.open(path) as picture:
                width, height = picture.size
            data = base64.b64encode(path.read_bytes()).decode()
            caption = path.stem.replace("_", " ")
            tags.append(f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}" '
                        f'width="{width * scale}" height="{height * scale}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    return "".join(tags)


def metrics_table(results: dict, floor: dict | None = None) -> str:
    """One evaluation as an HTML table (metric, value, which way is better, real images' value) and its notes."""
    rows = table_rows(results, floor)
    real = any(row[3] for row in rows)
    head = "<tr><th>metric</th><th>value</th><th>better</th>" + ("<th>real images</th>" if real else "") + "</tr>"
    body = "".join(f"<tr><td>{html.escape(name)}</td><td class=num>{html.escape(value)}</td>"
                   f"<td>{html.escape(better)}</td>" + (f"<td class=num>{html.escape(other)}</td>" if real else "")
                   + "</tr>" for name, value, better, other in rows)
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in table_notes(results))
    return f"<table>{head}{body}</table>" + (f'<ul class="notes">{notes}</ul>' if notes else "")


def summary_table(run_dirs: list[Path]) -> str:
    """The evaluations of several runs side by side, a row per run, a column per metric, the real images' values
    (where an evaluation holds them) in the last row."""
    evaluated = [(Path(d), json.loads((Path(d) / EVAL_FILE).read_text())) for d in run_dirs
                 if (Path(d) / EVAL_FILE).exists()]
    if not evaluated:
        return ""
    rows = {d.name: {name: (value, better) for name, value, better, _ in table_rows(r["metrics"])}
            for d, r in evaluated}
    with_floor = next((r for _, r in evaluated if "floor" in r), None)
    columns = list(dict.fromkeys(name for row in rows.values() for name in row))
    directions = {name: next((row[name][1] for row in rows.values() if row.get(name, ("", ""))[1]), "")
                  for name in columns}
    head = "<tr><th>run</th>" + "".join(f"<th>{html.escape(c)}<br><small>{html.escape(directions[c])} is better"
                                        "</small></th>" if directions[c] else f"<th>{html.escape(c)}</th>"
                                        for c in columns) + "</tr>"
    body = "".join(f"<tr><td>{html.escape(name)}</td>"
                   + "".join(f"<td class=num>{html.escape(row.get(c, ('—', ''))[0])}</td>" for c in columns) + "</tr>"
                   for name, row in rows.items())
    if with_floor is not None:
        floor = with_floor["floor"]
        real = {name: other for name, _, _, other in table_rows(with_floor["metrics"], floor)}
        body += (f"<tr><td><i>real images (n={floor.get('samples', floor.get('images'))})</i></td>"
                 + "".join(f"<td class=num><i>{html.escape(real.get(c) or '—')}</i></td>" for c in columns) + "</tr>")
    binarizations = {d.name: r["metrics"]["log_likelihood"]["binarization"].split(":")[0] for d, r in evaluated
                     if "binarization" in r["metrics"].get("log_likelihood", {})}
    note = ""
    if len(set(binarizations.values())) > 1:
        note = ('<p class="notes">Log-likelihoods of grey images (binarization none: a density) and of binarized '
                "images are not on one scale: " + html.escape(", ".join(f"{name} {how}" for name, how
                                                                       in binarizations.items())) + ".</p>")
    return f"<section><h2>summary</h2><table>{head}{body}</table>{note}</section>"


def run_section(run_dir: Path, scale: int | None = None) -> str:
    opened = open_run(run_dir)
    cfg = opened.config
    scale = scale or scale_for(opened.model.image_shape[-1])
    samples = opened.model.sample(64, torch.Generator().manual_seed(0),
                                  torch.arange(64) % len(opened.classes) if opened.model.conditional else None)
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td><td>{html.escape(d)}</td></tr>"
                   for section in ("model", "train", "data")
                   for k, v, d in configs.describe(getattr(cfg, section), section))
    p = opened.progress
    evaluation = ""
    if (run_dir / EVAL_FILE).exists():
        result = json.loads((run_dir / EVAL_FILE).read_text())
        evaluation = (f"<p>genzoo eval ({result['metrics'].get('samples', 0):,} samples against the "
                      f"{html.escape(result['metrics'].get('reference', 'test split'))}):</p>"
                      + metrics_table(result["metrics"], result.get("floor")))
    return (f"<section><h2>{html.escape(cfg.model_name)} on {html.escape(cfg.dataset)}</h2>"
            f"<p>{html.escape(type(opened.model).summary)}; {num_parameters(opened.model):,} parameters; "
            f"{p['step']} steps in {p['elapsed']:.1f} s. Run directory: <code>{html.escape(str(run_dir))}</code></p>"
            f'<div class="row">{image_tag(samples, "64 samples (seed 0)", scale)}{figure_tags(run_dir, scale)}'
            f"{curves(read_metrics(run_dir / METRICS))}</div>{evaluation}"
            f"<details><summary>config</summary><table>{rows}</table></details></section>")


def write_report(run_dirs: list[Path], path: Path, title: str, intro: str = "",
                 real: torch.Tensor | None = None, scale: int | None = None) -> Path:
    """Write the page to ``path``; ``real`` is an optional batch of training images to compare against. Images are
    enlarged ``scale`` times (default: to about PIXELS_PER_IMAGE pixels a side)."""
    body = [f"<h1>{html.escape(title)}</h1>", intro, summary_table(run_dirs)]
    if real is not None:
        tag = image_tag(real, f"{len(real)} real images", scale or scale_for(real.shape[-1]))
        body.append(f'<section><h2>training data</h2><div class="row">{tag}</div></section>')
    body += [run_section(Path(d), scale) for d in run_dirs]
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
