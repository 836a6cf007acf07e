"""genzoo report: one page that holds every model's row and every picture inside itself, the lecture's figures for the
models that have them, the command end to end, its one-line errors, and the page in a real browser."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

import genzoo.pretrained
from genzoo.cli import main
from genzoo.demo import write_demo_page
from genzoo.evaluate.suite import EVAL_FILE, save_result
from genzoo.run import evaluate_run, make_run_config, open_run, train
from genzoo.train.metrics_log import watched_at_evaluations
from genzoo.viz import plots
from genzoo.viz.report import metrics_table, report_page, scale_for, source, summary_table
from tests.conftest import TINY
from tests.test_stackgan import trained_run  # noqa: F401  (a tiny StackGAN run on tiny captions)

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "img" / "report.png"


class Page(HTMLParser):
    """What a page refers to: every <img src>, every <script> (with or without src), every <link href>, and the text
    of each <section>'s heading."""

    def __init__(self, text: str):
        super().__init__()
        self.images: list[str] = []
        self.scripts: list[dict] = []
        self.links: list[str] = []
        self.svgs = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        elif tag == "script":
            self.scripts.append(values)
        elif tag == "link":
            self.links.append(values.get("href") or "")
        elif tag == "svg":
            self.svgs += 1


def png_size(src: str) -> tuple[int, int]:
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as picture:
        return picture.size


def sections(page: str) -> dict[str, str]:
    """Each model's section of a page by the name in its heading."""
    parts = re.findall(r"<section><h2>([^<:]+):(.*?)</section>", page, re.S)
    return {name: text for name, text in parts}


RUNS = {   # a WGAN with FD scheduled along its run, an RBM with a likelihood, an InfoGAN with its codes
    "wgan": ["train.eval_every=5", "train.eval_metrics=fd", "train.eval_samples=50"],
    "rbm": [],
    "infogan": [],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three tiny runs trained for 20 steps on digits and evaluated on 100 samples, in one folder."""
    folder = tmp_path_factory.mktemp("runs")
    for model, extra in RUNS.items():
        cfg = make_run_config(model, "digits", overrides=[*TINY[model], "train.log_every=1", "train.max_steps=20",
                                                          "train.sample_every=1000", *extra])
        train(cfg, folder / model, progress_bar=False)
        metrics = ["fd", "kid", "pr", "modes"] + (["nll"] if model == "rbm" else [])
        save_result(evaluate_run(folder / model, metrics, n=100, floor=True), folder / model / EVAL_FILE)
    return folder


@pytest.fixture(scope="module")
def page(runs):
    return report_page([source(runs / name) for name in RUNS], "genzoo report")


def test_the_report_holds_a_row_per_model_and_every_picture_inside_itself(page):
    parsed = Page(page)
    summary = re.search(r"<h2>summary</h2><table>(.*?)</table>", page).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", summary)
    names = [re.search(r"<td>(?:<i>)?([^<]*)", row).group(1) for row in rows[1:]]
    assert names == [*RUNS, "real images (n=100)"]
    assert "exact" in rows[2] and "20 steps" in rows[1]           # the RBM's estimator; each run's budget
    assert parsed.images and all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert not parsed.scripts and not parsed.links
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"url\((?!#)", page) and not re.search(r"href=\"(?!#|data:)", page)   # inside the page
    assert parsed.svgs >= len(RUNS)                                 # the plots, inline


def test_each_model_shows_what_the_lecture_shows_for_it(page):
    found = sections(page)
    assert set(found) == set(RUNS)
    assert "gibbs chain" in found["rbm"] and "latent arithmetic" not in found["rbm"]
    assert "traversal c1 categorical" in found["infogan"] and "traversal c2 continuous" in found["infogan"]
    assert "latent arithmetic" in found["wgan"] and "latent arithmetic" in found["infogan"]
    assert "wasserstein_estimate against FD" in found["wgan"]      # the critic's estimate against sample quality
    assert "classes of the samples" in found["rbm"]                # the class histogram from eval.json
    assert "against FD" not in found["rbm"]


def test_samples_are_64_digits_enlarged_six_times(page):
    first = Page(page).images[0]
    assert png_size(first) == ((8 * (8 + 2) + 2) * 6,) * 2          # 8 columns of 8 pixels, 2 of padding, x6


def test_a_report_source_is_a_run_directory_or_an_opened_run(runs):
    opened = open_run(runs / "rbm")
    assert opened.run_dir == runs / "rbm" and opened.figures["metrics"]["fd"] > 0
    assert source(opened).name == "rbm" and source(opened, name="my rbm").name == "my rbm"
    shipped = dataclasses.replace(opened, run_dir=None)              # a shipped model: no curves, named by its model
    assert source(shipped).records == [] and source(shipped).name == "rbm"


def test_an_unreadable_evaluation_is_no_evaluation(runs, tmp_path):
    shutil.copytree(runs / "rbm", tmp_path / "rbm")
    (tmp_path / "rbm" / EVAL_FILE).write_text('{"metrics": {"fd": 1')
    assert open_run(tmp_path / "rbm").figures == {}
    row = re.findall(r"<tr>(.*?)</tr>", summary_table([source(tmp_path / "rbm")]))[1]
    assert row.startswith("<td>rbm</td><td>digits</td><td>—</td>")   # no metric columns: only the estimator's


def test_the_demo_page_is_written_by_the_same_builder(runs, tmp_path):
    for name in RUNS:
        (tmp_path / name).symlink_to(runs / name)
    page = write_demo_page(tmp_path, [tmp_path / name for name in RUNS]).read_text()
    assert "genzoo demo" in page and "real images" in page and set(sections(page)) == set(RUNS)


def test_genzoo_report_of_a_folder_of_runs(runs, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(runs), "--out", str(out), "--title", "two families"]) == 0
    assert capsys.readouterr().out.strip() == f"report of 3 models written to {out}"
    text = out.read_text()
    assert "<h1>two families</h1>" in text and set(sections(text)) == set(RUNS)
    assert main(["report", str(runs / "rbm"), "--out", str(out)]) == 0 and list(sections(out.read_text())) == ["rbm"]


@pytest.mark.parametrize("arguments, message", [
    (["{empty}"], "is not a run directory (it holds no checkpoint.pt) nor a folder of them"),
    (["{empty}/absent"], "is not a run directory"),
    (["pretrained:nope"], "no shipped model 'nope': none are shipped in this copy of genzoo (python -m benchmarks.run "
                          "pretrained makes them"),
    (["--pretrained"], "--pretrained: none are shipped"),
    ([], "nothing to report: give run directories"),
])
def test_bad_inputs_are_one_line_errors(tmp_path, capsys, monkeypatch, arguments, message):
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(genzoo.pretrained, "DIRECTORY", tmp_path / "empty")   # as a copy that ships none
    out = tmp_path / "report.html"
    code = main(["report", *[a.format(empty=tmp_path / "empty") for a in arguments], "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and not out.exists()


def test_watched_loss_is_averaged_since_the_previous_evaluation():
    records = [{"step": s, "g_loss": float(s)} for s in (1, 2, 3, 4)]
    records.insert(2, {"step": 2, "split": "eval", "fd": 10.0})
    records.append({"step": 4, "split": "eval", "fd": 5.0})
    records.append({"step": 5, "split": "eval", "kid": 1.0})       # no FD: not a point
    assert watched_at_evaluations(records, "g_loss") == [[2, 1.5, 10.0], [4, 3.5, 5.0]]


def test_plots_are_inline_svg_the_same_each_time_and_never_touch_pyplot():
    records = [{"step": s, "loss": 1 / s, "kl": float(s)} for s in range(1, 6)] + [{"step": 5, "split": "eval",
                                                                                     "fd": 2.0}]
    first, second = (plots.inline_svg(plots.training_curves(records)) for _ in range(2))
    assert first == second and first.startswith("<svg") and "http" not in first and "<?xml" not in first
    curves = plots.training_curves(records)
    assert len(curves.axes) == 3 and plots.training_curves([]) is None
    assert [t.get_text() for t in curves.legends[0].get_texts()] == ["train", "eval"]   # once, below the panels
    assert not plots.training_curves(records[:5]).legends                               # one series: no legend
    script = ("import sys; from genzoo.viz import plots; "
              "plots.inline_svg(plots.class_histogram([0.5, 0.5], ['a', 'b'], [0.4, 0.6])); "
              "plots.inline_svg(plots.loss_against_fd([(1, 0.1, 3.0), (2, 0.2, 2.0)], 'g_loss')); "
              "assert 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_long_log_is_drawn_through_the_means_of_runs_of_points():
    assert plots.thinned([(0, 1.0), (1, float("nan")), (2, 3.0)]) == [(0, 1.0), (2, 3.0)]
    long = [(float(i), float(i % 2)) for i in range(2 * plots.MAX_POINTS)]
    assert plots.thinned(long) == [(2 * i + 0.5, 0.5) for i in range(plots.MAX_POINTS)]


def test_small_images_are_enlarged_to_about_48_pixels():
    assert (scale_for(8), scale_for(28), scale_for(32), scale_for(64)) == (6, 2, 2, 1)


EVALUATION = {"fd": 1.5, "kid": {"value": 0.0021, "std": 0.0003, "subsets": 100, "subset_size": 1000},
              "precision": 0.7, "recall": 0.6}
FLOOR = {"samples": 1000, "fd": 0.1, "kid": {"value": -0.0001, "std": 0.0002, "subsets": 100, "subset_size": 1000},
         "precision": 0.9, "recall": 0.9}


def test_metrics_table_states_direction_kid_units_and_the_real_images():
    table = metrics_table(EVALUATION, FLOOR)
    assert "<td>KID x 1e3</td><td class=num>2.100 ± 0.300</td><td>lower</td><td class=num>-0.100 ± 0.200</td>" in table
    assert "<th>real images</th>" in table and "MMD^2 x 1e3" in table


def with_evaluation(runs, name, metrics, floor=None):
    """The run ``name`` as a report source whose evaluation is ``metrics`` (and ``floor``)."""
    opened = open_run(runs / name)
    return source(dataclasses.replace(opened, figures={"metrics": metrics, **({"floor": floor} if floor else {})}))


def test_summary_puts_models_in_rows_and_the_real_images_last(runs):
    html = summary_table([with_evaluation(runs, "wgan", {**EVALUATION, "fd": 1.5}, FLOOR),
                          with_evaluation(runs, "infogan", {**EVALUATION, "fd": 0.8}),
                          with_evaluation(runs, "rbm", {})])
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert len(rows) == 5 and "lower is better" in rows[0] and "higher is better" in rows[0]
    assert "<td>wgan</td><td>digits</td><td class=num>1.500</td>" in rows[1]
    assert "<td>infogan</td><td>digits</td><td class=num>0.800</td>" in rows[2]
    assert "<td>rbm</td><td>digits</td><td class=num>—</td>" in rows[3]       # not evaluated: still a row
    assert "real images (n=1000)" in rows[4] and "0.100" in rows[4]


def test_summary_warns_when_likelihoods_are_not_on_one_scale(runs):
    def nll(how):
        return {"log_likelihood": {"value": -1.0, "stderr": 0.1, "binarization": how, "method": "exact",
                                   "budget": {}}}

    html = summary_table([with_evaluation(runs, "wgan", nll("none: grey levels in [0, 1], a density in nats")),
                          with_evaluation(runs, "rbm", nll("fixed: binarized once"))])
    assert "not on one scale: wgan none, rbm fixed" in html


def test_the_report_opens_in_a_browser_without_errors(browser, runs, tmp_path):
    """The report of every shipped model (genzoo report --pretrained, the README's picture), or of the tiny runs
    in a copy of genzoo that ships none."""
    out = tmp_path / "report.html"
    sources = ["--pretrained"] if genzoo.pretrained.names() else [str(runs)]
    assert main(["report", *sources, "--out", str(out)]) == 0
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    shown = page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    plotted = page.evaluate("[...document.querySelectorAll('svg')].every(s => s.getBBox().width > 0)")
    picture = page.screenshot()
    page.close()
    assert errors == [] and requests == [out.as_uri()] and shown and plotted
    assert picture.startswith(b"\x89PNG")
    if os.environ.get("GENZOO_WRITE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(picture)


def test_stackgan_shows_stage_one_beside_stage_two(request):
    page = report_page([source(request.getfixturevalue("trained_run"))], "stackgan")
    found = sections(page)["run"]
    assert "stages: Stage-I (enlarged) beside Stage-II" in found and "latent arithmetic" not in found
