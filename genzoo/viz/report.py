"""One self-contained HTML page of trained models that a teacher can mail: a table across them, and for each its
samples, its curves and what the lecture shows for it. Every picture is inside the page (PNGs as data: URIs, plots
as inline SVG); the page has no script and refers to nothing outside itself.

A model on the page is a :class:`Source`, made by :func:`source` from a run directory, ``pretrained:NAME`` or an
``open_run`` result; ``genzoo report``, ``genzoo demo`` and a user's own script all go through :func:`write_report`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch
from PIL import Image

from genzoo import config as configs
from genzoo.errors import GenzooError
from genzoo.evaluate.suite import table_notes, table_rows
from genzoo.grid import grid_image
from genzoo.outputs import write_atomically
from genzoo.pretrained import names as pretrained_names
from genzoo.run import PRETRAINED, OpenedRun, num_parameters, open_run, shipped_list
from genzoo.train.loop import CHECKPOINT, METRICS
from genzoo.train.metrics_log import read_metrics, watched_at_evaluations
from genzoo.viz import plots
from genzoo.viz.latent_arithmetic import arithmetic_figure, boldness_groups, decodes_latent_alone, latent_arithmetic

STYLE = """body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}
section{border-top:1px solid #ccc;padding-top:1em;margin-top:1.5em}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
img{image-rendering:pixelated;border:1px solid #ddd}figure{margin:0}figcaption{font-size:12px;max-width:420px}
svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:12px}td,th{padding:1px 8px;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.notes{font-size:12px;color:#555;overflow-wrap:anywhere}pre{white-space:pre-wrap;overflow-wrap:anywhere}"""
PIXELS_PER_IMAGE = 48   # small images are enlarged, nearest-neighbour, to about this side on the page
SAMPLES = 64
CANDIDATES = 64         # draws the latent arithmetic chooses its groups from
WATCHED = ("wasserstein_estimate", "g_loss")   # the loss a user watches: a WGAN critic's estimate, else G's loss
LECTURE = {"gibbs_chain": "Gibbs chains, one per row, left to right as the sampler runs",
           "stages": "Stage-I (enlarged) beside Stage-II for the same caption: what the second stage adds",
           "classes": "a row per class, the same z down each column: what the label decides, and what z does",
           "traversal": "an InfoGAN code traversed, the noise and other codes fixed along each row"}


@dataclass
class Source:
    """One model on the page: its name there, the opened model, and the scalars its training logged (none for a
    shipped model, which comes without its metrics.jsonl)."""

    name: str
    opened: OpenedRun
    records: list[dict[str, Any]]

    @property
    def evaluation(self) -> dict[str, Any]:
        """Its 'genzoo eval' numbers (eval.json's metrics, or a shipped card's), empty when it was not evaluated."""
        return self.opened.figures.get("metrics", {})

    @property
    def floor(self) -> dict[str, Any] | None:
        """The same metrics of real images at the same sample size, where the evaluation measured them."""
        return self.opened.figures.get("floor")


def source(run: str | Path | OpenedRun, name: str | None = None, device: str | torch.device = "cpu") -> Source:
    """A run directory or ``pretrained:NAME`` opened on ``device``, or an ``open_run`` result, as a model on the
    page, named ``name`` (default: the run directory's name, or the shipped model's). Its pictures are drawn from
    seeds on the CPU: the same on every device."""
    if isinstance(run, str) and run.startswith(PRETRAINED):
        name = name or run
    opened = run if isinstance(run, OpenedRun) else open_run(run, device)
    run_dir = opened.run_dir
    records = read_metrics(run_dir / METRICS) if run_dir is not None else []
    return Source(name or (run_dir.name if run_dir is not None else opened.config.model_name), opened, records)


def runs_named(arguments: Sequence[str], pretrained: bool = False) -> list[str | Path]:
    """What ``genzoo report`` was given as the runs to open: a run directory, every run directory inside a folder,
    ``pretrained:NAME``, and with ``pretrained`` every shipped model; a one-line error for anything else."""
    runs: list[str | Path] = []
    if pretrained:
        if not pretrained_names():
            raise GenzooError(f"--pretrained: {shipped_list()}")
        runs += [f"{PRETRAINED}{name}" for name in pretrained_names()]
    for argument in arguments:
        path = Path(argument)
        if argument.startswith(PRETRAINED):
            runs.append(argument)
        elif (path / CHECKPOINT).is_file():
            runs.append(path)
        elif path.is_dir() and (inside := sorted(d for d in path.iterdir() if (d / CHECKPOINT).is_file())):
            runs += inside
        else:
            raise GenzooError(f"{argument} is not a run directory (it holds no {CHECKPOINT}) nor a folder of them: "
                              f"give the --out of 'genzoo train', a folder of such runs, or {PRETRAINED}NAME")
    if not runs:
        raise GenzooError("nothing to report: give run directories, folders of runs or pretrained:NAME, "
                          "or --pretrained for every shipped model")
    return runs


def scale_for(side: int) -> int:
    """The whole-number enlargement that draws an image of ``side`` pixels at about PIXELS_PER_IMAGE (at least 1)."""
    return max(1, round(PIXELS_PER_IMAGE / side))


def image_tag(picture: Image.Image, caption: str) -> str:
    """A picture as an <img> holding its PNG as a data: URI, with its caption."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}" width="{picture.width}" '
            f'height="{picture.height}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def plot_tag(figure: Any, caption: str) -> str:
    return f"<figure>{plots.inline_svg(figure)}<figcaption>{html.escape(caption)}</figcaption></figure>"


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


def likelihood_method(results: dict) -> str:
    """The log-likelihood's estimator and budget, e.g. 'AIS ... (betas=14500, chains=100)'; '' where none."""
    nll = results.get("log_likelihood", {})
    if "value" not in nll:
        return ""
    budget = ", ".join(f"{k}={v}" for k, v in nll.get("budget", {}).items())
    return f"{nll['method']} ({budget})" if budget else nll["method"]


def training_budget(opened: OpenedRun) -> tuple[str, str]:
    """(steps, epochs and batch size; wall time) of a model's training."""
    progress = opened.progress
    steps = (f"{progress.get('step', 0):,} steps, {progress.get('epoch', 0)} epochs of batch "
             f"{opened.config.train.batch_size}")
    return steps, f"{progress.get('elapsed', 0.0):,.1f} s"


def summary_table(sources: Sequence[Source]) -> str:
    """A row per model, a column per metric any evaluation holds, the likelihood's estimator and the training
    budget and wall time; the real images' values (where an evaluation holds them) in the last row."""
    rows = {s.name: {name: (value, better) for name, value, better, _ in table_rows(s.evaluation)} for s in sources}
    columns = list(dict.fromkeys(name for row in rows.values() for name in row))
    directions = {name: next((row[name][1] for row in rows.values() if row.get(name, ("", ""))[1]), "")
                  for name in columns}
    head = ("<tr><th>model</th><th>data</th>"
            + "".join(f"<th>{html.escape(c)}<br><small>{html.escape(directions[c])} is better</small></th>"
                      if directions[c] else f"<th>{html.escape(c)}</th>" for c in columns)
            + "<th>log-likelihood estimator</th><th>training</th><th>wall time</th></tr>")
    body = ""
    for s in sources:
        steps, wall = training_budget(s.opened)
        body += (f"<tr><td>{html.escape(s.name)}</td><td>{html.escape(s.opened.config.dataset)}</td>"
                 + "".join(f"<td class=num>{html.escape(rows[s.name].get(c, ('—', ''))[0])}</td>" for c in columns)
                 + f"<td>{html.escape(likelihood_method(s.evaluation) or '—')}</td><td>{html.escape(steps)}</td>"
                 f"<td class=num>{html.escape(wall)}</td></tr>")
    with_floor = next((s for s in sources if s.floor), None)
    if with_floor is not None and with_floor.floor is not None:
        floor = with_floor.floor
        real = {name: other for name, _, _, other in table_rows(with_floor.evaluation, floor)}
        body += (f"<tr><td><i>real images (n={floor.get('samples', floor.get('images'))})</i></td>"
                 f"<td><i>{html.escape(with_floor.opened.config.dataset)}</i></td>"
                 + "".join(f"<td class=num><i>{html.escape(real.get(c) or '—')}</i></td>" for c in columns)
                 + "<td></td><td></td><td></td></tr>")
    binarizations = {s.name: s.evaluation["log_likelihood"]["binarization"].split(":")[0] for s in sources
                     if "binarization" in s.evaluation.get("log_likelihood", {})}
    note = ""
    if len(set(binarizations.values())) > 1:
        note = ('<p class="notes">Log-likelihoods of grey images (binarization none: a density) and of binarized '
                "images are not on one scale: " + html.escape(", ".join(f"{name} {how}" for name, how
                                                                       in binarizations.items())) + ".</p>")
    return f"<section><h2>summary</h2><table>{head}{body}</table>{note}</section>"


def lecture_caption(name: str) -> str:
    what = next((text for key, text in LECTURE.items() if name.startswith(key)), "")
    return name.replace("_", " ") + (f": {what}" if what else "")


@torch.no_grad()
def pictures(s: Source) -> list[str]:
    """Its samples and what the lecture shows for it: the model's own figures (Gibbs chains, code traversals,
    Stage-I | Stage-II, ...) and, for a model that decodes a latent z alone, latent arithmetic."""
    model = s.opened.model
    scale = scale_for(model.image_shape[-1])
    labels = torch.arange(SAMPLES) % len(s.opened.classes) if model.conditional else None
    samples = model.sample(SAMPLES, torch.Generator().manual_seed(0), labels)
    tags = [image_tag(grid_image(samples, scale=scale), f"{SAMPLES} samples (seed 0)")]
    for name, (images, columns) in model.figures(torch.Generator().manual_seed(0)).items():
        tags.append(image_tag(grid_image(images, columns, scale=scale), lecture_caption(name)))
    if decodes_latent_alone(type(model)):
        groups = boldness_groups(model, CANDIDATES, seed=0)
        figure = arithmetic_figure(latent_arithmetic(model, groups, 0, CANDIDATES))
        tags.append(image_tag(figure, f"latent arithmetic (Radford et al. 2015, Figure 7): sample {groups[0][1][0]} "
                                      f"+ mean of the {len(groups[1][1])} boldest − mean of the {len(groups[2][1])} "
                                      f"faintest of {CANDIDATES} draws (seed 0): the sample, bolder"))
    return tags


def plot_tags(s: Source) -> list[str]:
    """The plots a reader would rather look at than read: the class histogram of its samples, the watched loss
    against FD (a GAN's convergence claim, a WGAN critic's estimate), its training curves."""
    tags = []
    histogram = s.evaluation.get("histogram")
    if histogram:
        real = (s.floor or {}).get("histogram")
        caption = "the feature network's classes of the samples" + (", beside real images'" if real else "")
        tags.append(plot_tag(plots.class_histogram(histogram, s.opened.classes, real), caption))
    watched = next((key for key in WATCHED if any(key in r for r in s.records)), "")
    points = watched_at_evaluations(s.records, watched) if watched else []
    if len(points) > 1:
        tags.append(plot_tag(plots.loss_against_fd(points, watched),
                             f"{watched} (mean since the previous evaluation) against the scheduled evaluation's FD"))
    curves = plots.training_curves(s.records)
    if curves is not None:
        tags.append(plot_tag(curves, "training curves (metrics.jsonl)"))
    return tags


def run_section(s: Source) -> str:
    """A model's section: what it is, its pictures, its plots, its evaluation and its config."""
    opened, cfg = s.opened, s.opened.config
    steps, wall = training_budget(opened)
    where = (f"Run directory: <code>{html.escape(str(opened.run_dir))}</code>" if opened.run_dir is not None
             else "A model shipped with genzoo.")
    evaluation = ""
    if s.evaluation:
        evaluation = (f"<p>genzoo eval ({s.evaluation.get('samples', 0):,} samples against the "
                      f"{html.escape(str(s.evaluation.get('reference', 'test split')))}):</p>"
                      + metrics_table(s.evaluation, s.floor))
    watched = any(key in r for key in WATCHED for r in s.records)
    scheduled = any(r.get("split") == "eval" and "fd" in r for r in s.records)
    hint = ('<p class="notes">Train with <code>--set train.eval_every=N</code> to see its loss against FD.</p>'
            if watched and not scheduled else "")
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td><td>{html.escape(d)}</td></tr>"
                   for section in ("model", "train", "data") for k, v, d in configs.describe(getattr(cfg, section),
                                                                                           section))
    return (f"<section><h2>{html.escape(s.name)}: {html.escape(cfg.model_name)} on {html.escape(cfg.dataset)}</h2>"
            f"<p>{html.escape(type(opened.model).summary)}; {num_parameters(opened.model):,} parameters; "
            f"{html.escape(steps)} in {html.escape(wall)}. {where}</p>"
            f'<div class="row">{"".join(pictures(s))}</div><div class="row">{"".join(plot_tags(s))}</div>'
            f"{hint}{evaluation}<details><summary>config</summary><table>{rows}</table></details></section>")


def report_page(sources: Sequence[Source], title: str, intro: str = "", real: torch.Tensor | None = None) -> str:
    """The page's HTML; ``real`` is an optional batch of training images shown to compare against."""
    body = [f"<h1>{html.escape(title)}</h1>", intro, summary_table(sources)]
    if real is not None:
        tag = image_tag(grid_image(real, scale=scale_for(real.shape[-1])), f"{len(real)} real images")
        body.append(f'<section><h2>training data</h2><div class="row">{tag}</div></section>')
    body += [run_section(s) for s in sources]
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(sources: Sequence[Source], path: str | Path, title: str = "genzoo report", intro: str = "",
                 real: torch.Tensor | None = None) -> Path:
    """Write the page to ``path`` whole (see :func:`report_page`)."""
    page = report_page(sources, title, intro, real).encode()

    def write(f: IO[bytes]) -> None:
        f.write(page)

    write_atomically(Path(path), write)
    return Path(path)
