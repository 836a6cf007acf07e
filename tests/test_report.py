"""The report's pieces: SVG axes with round ticks that fit, legends off the curves, metric tables, image scale."""

from __future__ import annotations

import json
import re

import pytest

from genzoo.viz.curves import CHAR_WIDTH, line_chart, nice_axis
from genzoo.viz.report import metrics_table, scale_for, summary_table


@pytest.mark.parametrize("low, high, labels, power", [
    (0, 20_000, ["0", "5,000", "10,000", "15,000", "20,000"], ""),
    (-105.3, -88.1, ["-110", "-105", "-100", "-95", "-90", "-85"], ""),
    (0, 1, ["0", "0.25", "0.50", "0.75", "1.00"], ""),
    (1.087e-5, 3.2e-5, ["10", "20", "30", "40"], "× 1e-6"),
    (1e6, 3e6, ["1.0", "1.5", "2.0", "2.5", "3.0"], "× 1e6"),
])
def test_axis_ticks_are_round_and_cover_the_values(low, high, labels, power):
    axis = nice_axis(low, high)
    assert [axis.label(t) for t in axis.ticks] == labels and axis.power == power
    assert axis.low <= low and axis.high >= high


def test_tiny_values_get_short_labels_and_a_margin_as_wide_as_the_longest():
    svg = line_chart({"loss": [(0, 1.087e-5), (500, 2.5e-5), (1000, 3.1e-5)]}, "train: loss")
    assert "e-05" not in svg and "× 1e-6" in svg
    left = float(re.search(r'<rect x="([\d.]+)"', svg).group(1))
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert labels == ["10", "20", "30", "40"]
    assert left >= CHAR_WIDTH * max(map(len, labels)) + 5


def test_the_legend_sits_below_the_plot():
    svg = line_chart({"generator": [(0, 1), (10, 2)], "discriminator": [(0, 2), (10, 1)]}, "losses", height=240)
    plot_bottom = 240 - 36
    legend = [float(y) for y, name in re.findall(r'<text x="[\d.]+" y="([\d.]+)">(generator|discriminator)<', svg)]
    assert len(legend) == 2 and min(legend) > plot_bottom
    assert 'height="268"' in svg   # two legend lines added below
    assert "generator" not in line_chart({"generator": [(0, 1), (10, 2)]}, "train: loss")   # one series: the title


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


def test_summary_puts_runs_in_rows_and_the_real_images_last(tmp_path):
    for name, fd in (("vae", 1.5), ("dcgan", 0.8)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "eval.json").write_text(json.dumps({"metrics": {**EVALUATION, "fd": fd}, "floor": FLOOR}))
    html = summary_table([tmp_path / "vae", tmp_path / "dcgan", tmp_path / "absent"])
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    assert len(rows) == 4 and "lower is better" in rows[0] and "higher is better" in rows[0]
    assert "<td>vae</td><td class=num>1.500</td>" in rows[1] and "<td>dcgan</td><td class=num>0.800</td>" in rows[2]
    assert "real images (n=1000)" in rows[3] and "0.100" in rows[3]


def test_the_step_axis_ends_at_the_last_step_with_round_ticks_inside():
    axis = nice_axis(0, 2300, cover=False)
    assert (axis.low, axis.high) == (0, 2300) and [axis.label(t) for t in axis.ticks] == ["0", "1,000", "2,000"]
    assert nice_axis(0, 250).ticks == [0, 100, 200, 300] and nice_axis(-20, 75).label(25) == "25"


def test_summary_warns_when_likelihoods_are_not_on_one_scale(tmp_path):
    for name, how in (("vae", "none: grey levels in [0, 1], a density in nats"), ("rbm", "fixed: binarized once")):
        (tmp_path / name).mkdir()
        nll = {"value": -1.0, "stderr": 0.1, "binarization": how}
        (tmp_path / name / "eval.json").write_text(json.dumps({"metrics": {"log_likelihood": nll}}))
    html = summary_table([tmp_path / "vae", tmp_path / "rbm"])
    assert "not on one scale: vae none, rbm fixed" in html
