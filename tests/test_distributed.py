"""Data-parallel training on two CPU ranks (gloo), started here with the environment torchrun gives them: the ranks
stay one model, two ranks compute what one process computes, a run stopped and resumed on two ranks ends where an
uninterrupted one does, and a checkpoint written by two ranks samples and resumes in one process."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from conftest import TINY

from genzoo import run
from genzoo.errors import GenzooError
from genzoo.registry import model_class
from genzoo.train.distributed import Ranks

STEPS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def normal_at_its_mean(self: torch.distributions.Normal, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
    """A Normal's 'draw' that is its mean: the VAE's step without noise."""
    return self.mean.expand(self._extended_shape(torch.Size(sample_shape)))


def train_rank(rank: int, size: int, port: int, model: str, overrides: list[str], out: Path, results: Path,
               resume_to: int | None, deterministic_encoder: bool, killed_at: int | None) -> None:
    """One rank: the environment torchrun sets, then what 'genzoo train' does; its final state saved for the test.
    ``killed_at``: the process ends abruptly as that step begins, as under kill -9 (nothing saved, nothing flushed)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    if deterministic_encoder:   # z at q's mean: the VAE's step without noise, so that one and two ranks can agree
        torch.distributions.Normal.rsample = normal_at_its_mean
    if killed_at is not None:
        step = model_class(model).train_step

        def step_or_die(self, x, y):
            step_or_die.calls += 1
            if step_or_die.calls == killed_at:
                os._exit(9)
            return step(self, x, y)

        step_or_die.calls = 0
        model_class(model).train_step = step_or_die
    if resume_to is None:
        cfg = run.make_run_config(model, "digits", overrides=[*TINY[model], *overrides])
        _, trainer = run.train(cfg, out, progress_bar=False)
    else:
        _, trainer = run.resume(out, max_steps=resume_to, progress_bar=False)
    torch.save(trainer.model.state_dict(), results / f"rank{rank}.pt")


def train(size: int, model: str, out: Path, *overrides: str, resume_to: int | None = None,
          deterministic_encoder: bool = False, killed_at: int | None = None) -> list[dict[str, torch.Tensor]]:
    """Train on ``size`` ranks (each a fresh process) and return each rank's final state dict."""
    results = out.parent / f"{out.name}-states-{resume_to}"
    results.mkdir(parents=True, exist_ok=True)
    settings = [f"train.max_steps={STEPS}", *overrides]
    mp.start_processes(train_rank, args=(size, free_port(), model, settings, out, results, resume_to,
                                         deterministic_encoder, killed_at),
                       nprocs=size, start_method="fork")   # forked: the ranks start in a blink, torch imported
    return [torch.load(results / f"rank{rank}.pt") for rank in range(size)]


def shared(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The state every rank must hold alike: all but each rank's own persistent chains."""
    return {name: value for name, value in state.items() if not name.endswith("persistent_chains")}


@pytest.mark.parametrize("model", ["dcgan", "vae", "rbm"])
def test_two_ranks_hold_one_model_and_their_checkpoint_samples_in_one_process(model, tmp_path):
    first, second = train(2, model, tmp_path / "run")
    for name, value in shared(first).items():
        assert torch.equal(value, second[name]), name
    if model == "rbm":   # each rank's own chains, drawn with its own noise
        assert not torch.equal(first["learner.persistent_chains"], second["learner.persistent_chains"])
    opened = run.open_run(tmp_path / "run")
    for name, value in opened.model.state_dict().items():
        assert torch.equal(value, first[name]), name
    assert opened.model.sample(4, torch.Generator().manual_seed(0)).shape == (4, 1, 8, 8)
    _, trainer = run.resume(tmp_path / "run", max_steps=STEPS + 2, progress_bar=False)
    assert trainer.progress.step == STEPS + 2


def test_two_ranks_compute_what_one_process_computes_with_the_same_global_batch(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.distributions.Normal, "rsample", normal_at_its_mean)
    grey = "data.binarize=none"   # no binarizing draws either: each rank would draw its own
    cfg = run.make_run_config("vae", "digits", overrides=[*TINY["vae"], grey, f"train.max_steps={STEPS}"])
    one = run.train(cfg, tmp_path / "one", progress_bar=False)[1].model.state_dict()
    two = train(2, "vae", tmp_path / "two", grey, deterministic_encoder=True)[0]
    moved = [name for name in one if not torch.equal(one[name], run.build_model(
        run.make_run_config("vae", "digits", overrides=[*TINY["vae"], grey]), (1, 8, 8), 10).state_dict()[name])]
    assert moved   # training changed the weights, and both runs changed them alike
    for name, value in one.items():
        torch.testing.assert_close(two[name], value, rtol=1e-4, atol=1e-5)


def test_a_run_killed_and_resumed_on_two_ranks_ends_as_an_uninterrupted_one(tmp_path):
    settings = ["model.persistent_chains=16",   # each rank's chains and noise must come back from the checkpoint
                f"train.max_steps={2 * STEPS}", f"train.checkpoint_every={STEPS}"]
    uninterrupted = train(2, "rbm", tmp_path / "whole", *settings)
    with pytest.raises(mp.ProcessExitedException):
        train(2, "rbm", tmp_path / "killed", *settings, killed_at=STEPS + 3)
    resumed = train(2, "rbm", tmp_path / "killed", resume_to=2 * STEPS)
    for rank in range(2):
        for name, value in uninterrupted[rank].items():
            assert torch.equal(resumed[rank][name], value), (rank, name)


def test_a_batch_that_does_not_split_between_the_ranks_is_one_line():
    with pytest.raises(GenzooError, match="multiple of 3"):
        Ranks(0, 3).check_batch(32)


def test_each_rank_takes_its_share_of_every_global_batch():
    order = torch.randperm(20, generator=torch.Generator().manual_seed(0))
    shares = [Ranks(rank, 2).shard(order, 8) for rank in range(2)]
    assert all(size == 4 for _, size in shares)
    for batch in range(2):   # the two shares of global batch b are its two halves
        together = torch.cat([share[batch * 4:(batch + 1) * 4] for share, _ in shares])
        assert torch.equal(together, order[batch * 8:(batch + 1) * 8])
