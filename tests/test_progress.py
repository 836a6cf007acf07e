"""Long commands say what they do on stderr when it is not a terminal (a log file, CI): training at a bounded
interval, evaluation per metric and inside its estimators, StackGAN before its first step."""

from __future__ import annotations

import functools
import re
import sys
import time

from test_cli import TINY_VAE
from test_stackgan import captioned, stackgan_config  # noqa: F401 (a fixture)

from genzoo import run
from genzoo.cli import main
from genzoo.models import stackgan
from genzoo.nn.joint_embedding import TextEncoderConfig
from genzoo.registry import MODELS


def progress_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("genzoo: ")]


class TimedLog:
    """A log file for stderr: not a terminal; remembers when each line was written."""

    def __init__(self):
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> None:
        self.lines += [(time.monotonic(), line) for line in text.splitlines() if line]

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_training_prints_plain_progress_lines_at_a_bounded_interval(tmp_path, monkeypatch, tiny_config):
    """Steps of about 10 ms, lines every 0.1 s: never closer than 0.1 s, never far apart, steps counting up."""
    real = MODELS["vae"].train_step

    def slow(self, x, y):
        time.sleep(0.01)
        return real(self, x, y)

    monkeypatch.setattr(MODELS["vae"], "train_step", slow)
    log = TimedLog()
    monkeypatch.setattr(sys, "stderr", log)
    run.train(tiny_config("vae", "train.max_steps=120", "train.progress_seconds=0.1"), tmp_path / "r")
    times = [when for when, _ in log.lines]
    steps = [int(re.match(r"genzoo: vae step (\d+)/120 \(epoch \d+, \d+ s\): loss ", line)[1]) for _, line in log.lines]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(steps) >= 5 and steps == sorted(steps) and steps[-1] <= 120
    assert min(gaps) >= 0.1 and max(gaps) < 0.6


def test_eval_reports_each_metric_and_its_estimator_as_it_goes(tmp_path, capsys):
    out = tmp_path / "vae"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "3", "--out", str(out), "--quiet", *TINY_VAE]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--metrics", "fd,kid,nll", "-n", "100", "--k", "5", "--progress-every", "0"]) == 0
    lines = progress_lines(capsys.readouterr().err)
    assert lines[0] == "genzoo: drawing 100 samples from the vae"
    assert "genzoo: computing fd of 100 samples" in lines and "genzoo: computing kid of 100 samples" in lines
    assert "genzoo: computing the log-likelihood of 359 held-out images" in lines
    assert "genzoo: IWAE lower bound, k=5: images: 300/359" in lines   # one line per batch of 100 at interval 0


def test_stackgan_says_it_trains_its_text_encoder_before_the_first_step(tmp_path, monkeypatch, capsys,
                                                                      captioned):  # noqa: F811
    monkeypatch.setattr(stackgan, "TextEncoderConfig", functools.partial(TextEncoderConfig, epochs=2))
    run.train(stackgan_config("train.max_steps=1"), tmp_path / "r")
    lines = progress_lines(capsys.readouterr().err)
    assert lines[0].startswith("genzoo: stackgan trains its text encoder on the 48 training captions first")
    assert lines[0].endswith("first (2 epochs)")
    assert lines[1].startswith("genzoo: text encoder epoch 1/2: joint embedding loss ")


def test_the_loop_s_scheduled_evaluations_print_no_lines_of_their_own(tmp_path, capsys, tiny_config):
    run.train(tiny_config("vae", "train.max_steps=4", "train.eval_every=2", "train.eval_samples=20"), tmp_path / "r")
    assert progress_lines(capsys.readouterr().err) == []
