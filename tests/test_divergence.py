"""Divergence stops the loop with one line naming the step, for every model family, and keeps the last good
checkpoint, from which a resumed run diverges again at the same step (the run is deterministic)."""

from __future__ import annotations

import re

import pytest
import torch
from conftest import TINY
from test_cgan import TINY_CGAN
from test_cli import TINY_VAE, one_line_error
from test_stackgan import TINY_STACKGAN, captioned  # noqa: F401 (a fixture)

from genzoo import run
from genzoo.checkpoint import load_checkpoint
from genzoo.errors import GenzooError
from genzoo.registry import MODELS
from genzoo.train.loop import numerical_failure

HUGE_LR = {"infogan": ["model.discriminator_lr=1e38", "model.generator_lr=1e38"],
           "dbm": ["model.lr=1e38", "model.joint_lr=1e38"]}
TINY_ALL = {**TINY, "cgan": TINY_CGAN["mlp"], "stackgan": TINY_STACKGAN}
DIVERGED = re.compile(r"^training diverged at step (\d+): .+; the last good checkpoint \(.+, step (\d+)\) is kept; "
                      r"start a new run with a lower learning rate or another seed$")


@pytest.mark.parametrize("model_name", list(MODELS))
def test_a_huge_learning_rate_stops_cleanly_with_the_last_good_checkpoint(tmp_path, model_name, request):
    if model_name == "stackgan":
        request.getfixturevalue("captioned")
    dataset = "mnist-captions" if model_name == "stackgan" else "digits"
    cfg = run.make_run_config(model_name, dataset, overrides=[
        *TINY_ALL[model_name], *HUGE_LR.get(model_name, ["model.lr=1e38"]), "train.max_steps=40",
        "train.checkpoint_every=1"])
    with pytest.raises(GenzooError) as err:
        run.train(cfg, tmp_path / "r", progress_bar=False)
    found = DIVERGED.match(str(err.value))
    assert found, str(err.value)
    step, kept = int(found[1]), int(found[2])
    assert kept == step - 1 and load_checkpoint(tmp_path / "r" / "checkpoint.pt")["progress"]["step"] == kept

    with pytest.raises(GenzooError) as again:   # the kept checkpoint loads, and the run diverges where it did
        run.resume(tmp_path / "r", progress_bar=False)
    assert str(again.value) == str(err.value)


def test_the_issue_command_stops_in_one_line_and_keeps_a_checkpoint(tmp_path, capsys):
    """genzoo train vae --data digits --set model.lr=1e9: torch's Normal once refused its scale with a tensor dump; the
    VAE's distributions no longer check their arguments, and the loop's check of the step's scalars stops it, naming the
    weight the update broke (loss = inf is the symptom)."""
    out = tmp_path / "r"
    err = one_line_error(capsys, ["train", "vae", "--data", "digits", "--set", "model.lr=1e9", "--max-steps", "2000",
                                  "--out", str(out), "--quiet", *TINY_VAE])
    assert re.search(r"training diverged at step 2: \S+weight is not finite", err), err
    assert load_checkpoint(out / "checkpoint.pt")["progress"]["step"] == 0


def test_an_error_that_is_not_numerical_still_shows_its_traceback(tmp_path, monkeypatch, tiny_config):
    """Only numbers torch refused count as divergence: a bug in a model is not hidden behind a one-line message."""
    def broken(self, x, y):
        raise ValueError("a bug")

    monkeypatch.setattr(MODELS["vae"], "train_step", broken)
    with pytest.raises(ValueError, match="a bug"):
        run.train(tiny_config("vae"), tmp_path / "r", progress_bar=False)


def test_a_distribution_refusing_its_parameters_is_named_in_one_line():
    """A model built on torch.distributions with their checks on (genzoo's VAE turns them off) gets the parameter
    and the distribution named, not the tensor dump torch raises."""
    with pytest.raises(ValueError) as refused:
        torch.distributions.Normal(torch.zeros(3), torch.tensor([1.0, float("nan"), 1.0]), validate_args=True)
    assert numerical_failure(refused.value) == ("the scale of a Normal distribution left its valid range (NaN, "
                                                "infinite or out of bounds)")
