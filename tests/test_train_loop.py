"""The loop's promises: resume equals uninterrupted, Ctrl-C saves, NaN stops, logs stay consistent."""

import json
import os
import signal
import time

import pytest
import torch

from genzoo import run
from genzoo.checkpoint import load_checkpoint
from genzoo.errors import GenzooError
from genzoo.registry import MODELS


def parameters(run_dir):
    return load_checkpoint(run_dir / "checkpoint.pt")["model"]


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def fail_at(monkeypatch, model_name, step, action):
    """Make the model's train_step call ``action`` when step ``step`` begins."""
    cls = MODELS[model_name]
    real = cls.train_step
    calls = {"n": 0}

    def step_or_act(self, x, y):
        calls["n"] += 1
        if calls["n"] == step:
            return action(self, x, y, real)
        return real(self, x, y)

    monkeypatch.setattr(cls, "train_step", step_or_act)


class Crash(Exception):
    pass


def crash(self, x, y, real):
    raise Crash("simulated kill -9")


# the DBN's crash at 66 falls in its up-down phase; the GAN's and WGAN-GP's learning rates decay along the run
SETTINGS = {("dbn", 66): ["model.fine_tune_fraction=0.3"], ("gan", 56): ["model.lr_decay=true"],
            ("wgan-gp", 56): ["model.lr_decay=true"]}


# 37 steps per epoch on digits with batch 32: checkpoints inside the second epoch, or exactly at its start
@pytest.mark.parametrize("model_name, binarize, checkpoint_every, crash_at, saved_at", [
    ("vae", "dynamic", 10, 56, 50), ("dcgan", "none", 10, 56, 50), ("vae", "dynamic", 37, 40, 37),
    ("rbm", "dynamic", 10, 56, 50), ("helmholtz", "dynamic", 10, 56, 50), ("dbn", "dynamic", 10, 56, 50),
    ("dbm", "dynamic", 10, 56, 50), ("dbm", "dynamic", 10, 36, 30), ("dbn", "dynamic", 10, 66, 60),
    ("gan", "none", 10, 56, 50), ("wgan", "none", 10, 56, 50), ("wgan-gp", "none", 10, 56, 50),
    ("infogan", "none", 10, 56, 50)])
def test_resume_after_a_crash_equals_an_uninterrupted_run(tmp_path, monkeypatch, tiny_config, model_name, binarize,
                                                           checkpoint_every, crash_at, saved_at):
    cfg = tiny_config(model_name, "train.epochs=2", f"train.checkpoint_every={checkpoint_every}",
                      f"data.binarize={binarize}", *SETTINGS.get((model_name, crash_at), []))
    run.train(cfg, tmp_path / "straight", progress_bar=False)

    fail_at(monkeypatch, model_name, crash_at, crash)
    with pytest.raises(Crash):
        run.train(cfg, tmp_path / "crashed", progress_bar=False)
    assert load_checkpoint(tmp_path / "crashed" / "checkpoint.pt")["progress"]["step"] == saved_at
    monkeypatch.undo()
    outcome, trainer = run.resume(tmp_path / "crashed", progress_bar=False)

    assert outcome == "finished" and trainer.progress.step == 2 * 37
    assert_same_state(parameters(tmp_path / "straight"), parameters(tmp_path / "crashed"))
    optimizers = [load_checkpoint(tmp_path / d / "checkpoint.pt")["optimizers"] for d in ("straight", "crashed")]
    for name in optimizers[0]:
        assert optimizers[0][name]["param_groups"] == optimizers[1][name]["param_groups"]
        for index, state in optimizers[0][name]["state"].items():
            for key, value in state.items():
                assert torch.equal(value, optimizers[1][name]["state"][index][key])
    steps = [json.loads(line)["step"] for line in (tmp_path / "crashed" / "metrics.jsonl").read_text().splitlines()
             if "split" not in json.loads(line)]
    assert steps == list(range(1, 2 * 37 + 1)), "records after the checkpoint are replaced, not duplicated"
    figures = sorted(p.name for p in (tmp_path / "straight" / "samples").iterdir())
    assert figures == sorted(p.name for p in (tmp_path / "crashed" / "samples").iterdir())
    for name in figures:   # the sample grids, and a model's own figures (InfoGAN's traversals), drawn alike
        straight, crashed = (tmp_path / run / "samples" / name for run in ("straight", "crashed"))
        assert straight.read_bytes() == crashed.read_bytes()


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_same(tmp_path, monkeypatch, tiny_config):
    cfg = tiny_config("vae", "train.max_steps=20", "train.checkpoint_every=1000")
    run.train(cfg, tmp_path / "straight", progress_bar=False)
    before = signal.getsignal(signal.SIGINT)   # Python's default, or SIG_IGN in a job started in the background

    def interrupt(self, x, y, real):
        os.kill(os.getpid(), signal.SIGINT)
        return real(self, x, y)

    fail_at(monkeypatch, "vae", 8, interrupt)
    outcome, trainer = run.train(cfg, tmp_path / "stopped", progress_bar=False)
    assert outcome == "interrupted" and trainer.progress.step == 8
    assert load_checkpoint(tmp_path / "stopped" / "checkpoint.pt")["progress"]["step"] == 8
    assert signal.getsignal(signal.SIGINT) == before, "the run hands back the Ctrl-C handler it found"
    monkeypatch.undo()
    run.resume(tmp_path / "stopped", progress_bar=False)
    assert_same_state(parameters(tmp_path / "straight"), parameters(tmp_path / "stopped"))


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, tiny_config):
    cfg = tiny_config("vae", "train.checkpoint_every=5")
    fail_at(monkeypatch, "vae", 7, lambda self, x, y, real: {**real(self, x, y), "loss": float("nan")})
    with pytest.raises(GenzooError, match=r"diverged at step 7: loss = nan; the last good checkpoint .* step 5"):
        run.train(cfg, tmp_path / "r", progress_bar=False)
    assert load_checkpoint(tmp_path / "r" / "checkpoint.pt")["progress"]["step"] == 5


def test_resume_can_extend_a_finished_run_as_if_it_had_run_longer(tmp_path, tiny_config):
    run.train(tiny_config("vae", "train.epochs=2"), tmp_path / "straight", progress_bar=False)
    run.train(tiny_config("vae", "train.epochs=1"), tmp_path / "r", progress_bar=False)
    outcome, trainer = run.resume(tmp_path / "r", epochs=2, progress_bar=False)
    assert outcome == "finished" and trainer.progress.step == 2 * 37
    assert_same_state(parameters(tmp_path / "straight"), parameters(tmp_path / "r"))
    with pytest.raises(GenzooError, match="already at step 74, past the 10 steps asked for"):
        run.resume(tmp_path / "r", max_steps=10, progress_bar=False)


def test_outputs_of_a_run(tmp_path, tiny_config):
    cfg = tiny_config("dcgan", "train.max_steps=12", "train.sample_every=5", "train.grid_size=9")
    run.train(cfg, tmp_path / "r", progress_bar=False)
    assert sorted(p.name for p in (tmp_path / "r" / "samples").iterdir()) == [
        "step_0000005.png", "step_0000010.png", "step_0000012.png"]
    opened = run.open_run(tmp_path / "r")
    assert opened.config == cfg and opened.progress["finished"]
    assert not opened.model.training


def test_validation_is_logged_each_epoch_and_improves(tmp_path, tiny_config):
    run.train(tiny_config("vae", "train.epochs=6", "model.hidden=[64]"), tmp_path / "r", progress_bar=False)
    records = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    validation = [r for r in records if r.get("split") == "validation"]
    assert [r["epoch"] for r in validation] == list(range(6))
    assert validation[-1]["elbo"] > validation[0]["elbo"]


def test_existing_run_is_not_overwritten_and_resume_needs_one(tmp_path, tiny_config):
    cfg = tiny_config("vae", "train.max_steps=2")
    run.train(cfg, tmp_path / "r", progress_bar=False)
    with pytest.raises(GenzooError, match="already holds a run: add --resume"):
        run.train(cfg, tmp_path / "r", progress_bar=False)
    with pytest.raises(GenzooError, match="holds no checkpoint"):
        run.resume(tmp_path / "other", progress_bar=False)
    with pytest.raises(GenzooError, match="holds a vae run on digits, not dcgan on digits"):
        run.resume(tmp_path / "r", expect=("dcgan", "digits"), progress_bar=False)


def test_scalars_reach_tensorboard_when_it_is_installed(tmp_path, tiny_config, monkeypatch):
    from genzoo.train import metrics_log

    written = []

    class Recorder:
        def __init__(self, log_dir, purge_step=None):
            self.log_dir = log_dir

        def add_scalar(self, tag, value, step):
            written.append((tag, step))

        def close(self):
            pass

    monkeypatch.setattr(metrics_log, "SummaryWriter", Recorder)
    run.train(tiny_config("vae", "train.max_steps=3"), tmp_path / "r", progress_bar=False)
    assert ("train/loss", 1) in written and ("train/kl", 3) in written


@pytest.mark.parametrize("model_name", ["vae", "dcgan", "rbm", "helmholtz"])
def test_scheduled_evaluation_leaves_training_unchanged(tmp_path, tiny_config, model_name):
    """Evaluating on a schedule draws its own noise and restores the mode: the weights end the same."""
    plain = tiny_config(model_name, "train.max_steps=12", "data.binarize=dynamic")
    evaluated = tiny_config(model_name, "train.max_steps=12", "data.binarize=dynamic", "train.eval_every=5",
                            "train.eval_metrics=fd,kid,nll", "train.eval_samples=50")
    run.train(plain, tmp_path / "plain", progress_bar=False)
    run.train(evaluated, tmp_path / "evaluated", progress_bar=False)
    assert_same_state(parameters(tmp_path / "plain"), parameters(tmp_path / "evaluated"))
    rows = [json.loads(line) for line in (tmp_path / "evaluated" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r.get("split") == "eval"] == [5, 10, 12]


@pytest.mark.parametrize("model_name, overrides", [("rbm", []), ("dbm", []),
                                                    ("dbn", ["model.fine_tune_fraction=0.3"])])
def test_monitoring_scalars_are_measured_on_logged_steps_alone_and_leave_training_unchanged(
        tmp_path, monkeypatch, tiny_config, model_name, overrides):
    """A Boltzmann machine's reconstruction error and free energies cost a step's work: measured on the logged steps
    (and where the phase changes), with no random draws, so logging every step or every 7 trains the same weights."""
    cls = MODELS[model_name]
    steps, measured, real_step, real_monitoring = [], [], cls.train_step, cls.monitoring_scalars

    def counted_step(self, x, y):
        steps.append(len(steps) + 1)
        return real_step(self, x, y)

    def counted_monitoring(self):
        measured.append(steps[-1])
        return real_monitoring(self)

    monkeypatch.setattr(cls, "train_step", counted_step)
    monkeypatch.setattr(cls, "monitoring_scalars", counted_monitoring)
    every = tiny_config(model_name, "train.max_steps=30", *overrides)
    sparse = tiny_config(model_name, "train.max_steps=30", "train.log_every=7", *overrides)
    run.train(every, tmp_path / "every", progress_bar=False)
    assert measured == list(range(1, 31))
    steps.clear(), measured.clear()
    run.train(sparse, tmp_path / "sparse", progress_bar=False)
    model = run.open_run(tmp_path / "sparse").model
    model.total_steps = 30
    boundaries = [bound + 1 for bound in model.phase_bounds()[1:-1]] if model_name != "rbm" else []
    assert measured == sorted({1, 7, 14, 21, 28, 30, *boundaries})
    assert_same_state(parameters(tmp_path / "every"), parameters(tmp_path / "sparse"))
    rows = [json.loads(line) for line in (tmp_path / "sparse" / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in rows if "split" not in r]
    assert [r["step"] for r in logged] == [7, 14, 21, 28]
    costly = {"rbm": "reconstruction_error", "dbm": "variational_free_energy", "dbn": "wake_reconstruction_error"}
    assert costly[model_name] in logged[-1]


def test_an_unknown_scheduled_metric_stops_before_training(tmp_path, tiny_config):
    with pytest.raises(GenzooError, match="unknown metric 'fid'"):
        run.train(tiny_config("vae", "train.eval_every=5", "train.eval_metrics=fid"), tmp_path / "r",
                  progress_bar=False)
    assert not (tmp_path / "r" / "checkpoint.pt").exists()


def test_a_fresh_run_is_checkpointed_before_its_first_step(tmp_path, monkeypatch, tiny_config):
    """A kill during the first steps leaves a checkpoint that --resume finishes exactly (issue 29)."""
    cfg = tiny_config("vae", "train.max_steps=20")
    run.train(cfg, tmp_path / "straight", progress_bar=False)
    fail_at(monkeypatch, "vae", 1, crash)
    with pytest.raises(Crash):
        run.train(cfg, tmp_path / "crashed", progress_bar=False)
    assert load_checkpoint(tmp_path / "crashed" / "checkpoint.pt")["progress"]["step"] == 0
    monkeypatch.undo()
    run.resume(tmp_path / "crashed", progress_bar=False)
    assert_same_state(parameters(tmp_path / "straight"), parameters(tmp_path / "crashed"))


def test_checkpoints_by_wall_time_leave_the_result_unchanged(tmp_path, monkeypatch, tiny_config):
    """With steps of 20 ms and checkpoint_minutes of 60 ms, checkpoints come every few steps, long before
    checkpoint_every; a crash loses only the steps since the last one, and resuming ends as an uninterrupted run."""
    cfg = tiny_config("vae", "train.max_steps=30", "train.checkpoint_every=1000", "train.checkpoint_minutes=0.001")
    run.train(cfg, tmp_path / "straight", progress_bar=False)

    cls = MODELS["vae"]
    real_step = cls.train_step
    calls = {"n": 0}

    def slow_then_crash(self, x, y):
        calls["n"] += 1
        if calls["n"] == 20:
            raise Crash("simulated kill -9")
        time.sleep(0.02)
        return real_step(self, x, y)

    monkeypatch.setattr(cls, "train_step", slow_then_crash)
    with pytest.raises(Crash):
        run.train(cfg, tmp_path / "crashed", progress_bar=False)
    saved = load_checkpoint(tmp_path / "crashed" / "checkpoint.pt")["progress"]["step"]
    assert 0 < saved <= 19   # by time alone: checkpoint_every is 1000
    monkeypatch.undo()
    run.resume(tmp_path / "crashed", progress_bar=False)
    assert_same_state(parameters(tmp_path / "straight"), parameters(tmp_path / "crashed"))
