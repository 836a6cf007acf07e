"""The loop every model trains in: batches, scalars, grids, validation and checkpoints on a schedule.

It knows nothing about model families: it calls ``model.prepare`` once with the data, then ``model.train_step`` on
each batch of the split that returns, and logs what comes back.
Everything random follows from the seed and the step (data order per epoch, noise from the global
torch RNG saved in each checkpoint), so a run killed and resumed ends where an uninterrupted one does.
A fresh run is checkpointed before its first step and then every ``checkpoint_every`` steps or ``checkpoint_minutes``,
whichever comes first: writing a checkpoint changes nothing the run computes, only what a kill can lose.
"""

from __future__ import annotations

import math
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from genzoo.checkpoint import save_checkpoint
from genzoo.data import Dataset, ImageSet
from genzoo.devices import sample_bernoulli
from genzoo.errors import GenzooError
from genzoo.grid import save_grid
from genzoo.models.base import GenerativeModel
from genzoo.precision import autocast
from genzoo.progress import ProgressLines, reporting, silenced
from genzoo.seeding import epoch_order, fixed_noise, seeded_generator
from genzoo.train.config import TrainConfig
from genzoo.train.distributed import NoLog, Ranks
from genzoo.train.metrics_log import MetricsLog

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
# where torch raises on numbers a training step made unusable: a distribution's argument check, an optimizer's update
NUMERICAL_SOURCES = ("torch/distributions/", "torch/optim/")


@dataclass
class Progress:
    """Where a run stands: steps done, the epoch it is in, the next batch of that epoch, seconds trained."""

    step: int = 0
    epoch: int = 0
    batch: int = 0
    elapsed: float = 0.0
    finished: bool = False


class Trainer:
    """Trains ``model`` on ``dataset`` into ``run_dir``, from scratch or from a checkpoint's content."""

    def __init__(self, model: GenerativeModel, dataset: Dataset, cfg: TrainConfig, run_dir: Path,
                 run_record: dict[str, Any], dynamic_binarization: bool, progress_bar: bool = True,
                 evaluator: Callable[[GenerativeModel], dict[str, float]] | None = None, ranks: Ranks | None = None):
        self.model, self.dataset, self.cfg, self.run_dir = model, dataset, cfg, run_dir
        self.ranks = ranks or Ranks()   # one process, or this rank of a torchrun (genzoo.train.distributed)
        self.ranks.check_batch(cfg.batch_size)
        self.evaluator = evaluator
        self.run_record = run_record
        self.dynamic_binarization = dynamic_binarization
        self.progress_bar = progress_bar
        self.progress = Progress()
        self.steps_per_epoch = len(dataset.train) // cfg.batch_size
        if self.steps_per_epoch == 0:
            raise GenzooError(f"batch_size {cfg.batch_size} is larger than the {len(dataset.train)} training "
                              "images: lower it with --set train.batch_size=N")
        self.total_steps = cfg.epochs * self.steps_per_epoch
        if cfg.max_steps is not None:
            self.total_steps = min(self.total_steps, cfg.max_steps)
        model.total_steps = self.total_steps
        self.last_scalars: dict[str, float] = {}
        self.saved_step: int | None = None
        self.saved_at = time.monotonic()
        self.stop_requested = False
        # plain lines where tqdm draws no bar (stderr is a log file, CI, a notebook)
        self.lines = ProgressLines(cfg.progress_seconds) if progress_bar and not sys.stderr.isatty() else None

    def restore(self, content: dict[str, Any]) -> None:
        """Continue from a checkpoint: weights, optimizer moments, RNG state and position in the data."""
        self.model.load_state_dict(content["model"])
        for name, state in content["optimizers"].items():
            self.model.optimizers[name].load_state_dict(state)
        torch.set_rng_state(content["rng"])
        if "cuda_rng" in content and self.model.device.type == "cuda":
            torch.cuda.set_rng_state(content["cuda_rng"], self.model.device)
        if self.model.grad_scaler is not None and "grad_scaler" in content:
            self.model.grad_scaler.load_state_dict(content["grad_scaler"])
        self.ranks.restore(self.model, content, self.cfg.seed)
        self.progress = Progress(**content["progress"])
        self.saved_step = self.progress.step
        if self.progress.step > self.total_steps:
            raise GenzooError(f"the run is already at step {self.progress.step}, past the {self.total_steps} steps "
                              "asked for: give more --epochs or --max-steps to continue it")
        self.last_scalars = content.get("scalars", {})

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / CHECKPOINT

    def run(self) -> str:
        """Train to the end, or until Ctrl-C/SIGTERM; returns 'finished' or 'interrupted'."""
        self.validation_set = self.dataset.validation.to(self.model.device)
        log = MetricsLog(self.run_dir / METRICS, keep_until_step=self.saved_step) if self.ranks.main else NoLog()
        in_main_thread = threading.current_thread() is threading.main_thread()   # signals only work there
        previous = {sig: signal.signal(sig, self._request_stop)
                    for sig in (signal.SIGINT, signal.SIGTERM) if in_main_thread}
        bar = tqdm(total=self.total_steps, initial=self.progress.step, unit="step", dynamic_ncols=True,
                   disable=None if self.progress_bar and self.ranks.main else True,   # None: on a terminal only
                   desc=self.model.name)
        if self.ranks.size > 1 and self.ranks.main:
            bar.write(self.ranks.describe(self.cfg.batch_size))
        try:
            with reporting(self.cfg.progress_seconds) if self.progress_bar else nullcontext():
                # the images are kept on the model's device, so batches are sliced there
                self.train_set = self.model.prepare(self.dataset, self.cfg.seed).to(self.model.device)
                if self.saved_step is None:   # a fresh run: --resume finds a checkpoint from the start
                    self._save()
                return self._loop(log, bar)
        finally:
            bar.close()
            log.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _request_stop(self, signum: int, frame: Any) -> None:
        self.stop_requested = True

    def _loop(self, log: MetricsLog | NoLog, bar: tqdm) -> str:
        p, cfg = self.progress, self.cfg
        self.model.train()
        started = time.perf_counter() - p.elapsed
        last_phase, shown = self.model.phase(), False
        while p.step < self.total_steps:
            order, batch_size = self.ranks.shard(epoch_order(len(self.train_set), cfg.seed, p.epoch), cfg.batch_size)
            batches = self.train_set.batches(batch_size, order, start=p.batch)
            for x, y in batches:
                if p.batch >= self.steps_per_epoch or p.step >= self.total_steps:
                    break
                phase, step = self.model.phase(), p.step + 1
                # the model's costly scalars on logged steps, and where the scalars shown start or change their names
                monitored = (not shown or phase != last_phase or step % cfg.log_every == 0
                             or step == self.total_steps)
                scalars = self._train_step(x, y, step, monitored)
                save_due = time.monotonic() - self.saved_at >= 60 * cfg.checkpoint_minutes
                # every rank stops, and checkpoints on time, at one step
                scalars, stop, save_due = self.ranks.agree(scalars, self.stop_requested, save_due)
                self.ranks.after_step(self.model)
                p.step, p.batch, p.elapsed = p.step + 1, p.batch + 1, time.perf_counter() - started
                self.last_scalars = scalars if monitored else {**self.last_scalars, **scalars}
                last_phase, shown = phase, True
                bar.update(1)
                named = {"phase": phase} if phase else {}
                bar.set_postfix({**named, "epoch": p.epoch + 1,
                                 **{k: f"{v:.4g}" for k, v in self.last_scalars.items()}}, refresh=False)
                if self.lines is not None:
                    self.lines.tick(self._progress_line(phase, self.last_scalars))
                end_of_epoch = p.batch == self.steps_per_epoch
                p.finished = p.step == self.total_steps
                logged, drawn = p.step % cfg.log_every == 0, p.step % cfg.sample_every == 0 or p.finished
                scored = self.evaluator is not None and cfg.eval_every and (p.step % cfg.eval_every == 0 or p.finished)
                saved = stop or save_due or p.finished or p.step % cfg.checkpoint_every == 0
                if logged or end_of_epoch or drawn or scored or saved:
                    self._check_state(p.step)
                if logged:
                    log.write({"step": p.step, "epoch": p.epoch, "time": round(p.elapsed, 3), **named, **scalars})
                if end_of_epoch:
                    self._end_epoch(log)
                if self.ranks.main and drawn:
                    self._write_grid()
                if self.ranks.main and scored:
                    self._evaluate(log)
                if saved:
                    self._save()
                if stop and not p.finished:
                    return "interrupted"
                if end_of_epoch:
                    break
        return "finished"

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        """The batch as the model sees it: under dynamic binarization each pixel drawn anew, on with probability its
        intensity."""
        return sample_bernoulli(x) if self.dynamic_binarization else x

    def _progress_line(self, phase: str | None, scalars: dict[str, float]) -> str:
        p = self.progress
        shown = ", ".join(f"{k} {v:.4g}" for k, v in scalars.items())
        return (f"{self.model.name} step {p.step:,}/{self.total_steps:,} (epoch {p.epoch + 1}"
                f"{', ' + phase if phase else ''}, {p.elapsed:.0f} s){': ' + shown if shown else ''}")

    def _train_step(self, x: torch.Tensor, y: torch.Tensor, step: int, monitored: bool) -> dict[str, float]:
        """One step of the model, with its monitoring scalars if ``monitored``, stopped with one line if it diverged: a
        weight or a scalar that is not finite, or torch refusing the numbers the step produced (a distribution's scale
        out of range, an update overflowing)."""
        try:
            with autocast(self.cfg.precision, self.model.device):
                scalars = self.model.train_step(self._prepare(x), y)
                if monitored:
                    scalars |= self.model.monitoring_scalars()
        except (ValueError, RuntimeError, FloatingPointError, OverflowError) as err:
            what = self._non_finite_state() or numerical_failure(err)
            if what is None:
                raise
            self._diverged(step, what)
        for key, value in scalars.items():
            if not math.isfinite(value):   # a weight gone is named first: the same line whichever scalars were taken
                self._diverged(step, self._non_finite_state() or f"{key} = {value}")
        return scalars

    def _check_state(self, step: int) -> None:
        """Stop with one line if a weight or buffer is not finite; run before the state is logged, drawn, scored or
        saved, so a checkpoint never holds a diverged model (reading every weight each step cost the DBN 9% of its
        step)."""
        what = self._non_finite_state()
        if what is not None:
            self._diverged(step, what)

    def _non_finite_state(self) -> str | None:
        """'parameter NAME is not finite' for the first weight or buffer holding a NaN or an infinity, else None."""
        tensors = [(name, t.detach()) for name, t in chain(self.model.named_parameters(), self.model.named_buffers())
                   if t.is_floating_point() and t.numel()]
        if not tensors or torch.isfinite(torch.stack([t.abs().amax() for _, t in tensors])).all():
            return None
        name = next(name for name, t in tensors if not torch.isfinite(t).all())
        return f"{name} is not finite"

    def _diverged(self, step: int, what: str) -> None:
        raise GenzooError(f"training diverged at step {step}: {what}; the last good checkpoint "
                          f"({self.checkpoint_path}, step {self.saved_step}) is kept; "
                          "start a new run with a lower learning rate or another seed")

    def _end_epoch(self, log: MetricsLog | NoLog) -> None:
        p = self.progress
        scores = self.validate(self.validation_set) if self.ranks.main else {}
        if scores:
            log.write({"step": p.step, "epoch": p.epoch, "split": "validation", **scores})
        p.epoch, p.batch = p.epoch + 1, 0

    @torch.no_grad()
    def validate(self, images: ImageSet) -> dict[str, float]:
        """Batch-size-weighted means of the model's validation scalars over a split (fixed noise)."""
        if len(images) == 0:
            return {}
        totals: dict[str, float] = {}
        self.model.eval()
        with fixed_noise(self.cfg.seed):   # binarization and the model's own noise, off the training stream
            for x, y in images.batches(self.cfg.batch_size):
                for key, value in self.model.validation_scalars(self._prepare(x), y).items():
                    totals[key] = totals.get(key, 0.0) + value * len(x)
        self.model.train()
        return {key: total / len(images) for key, total in totals.items()}

    def _evaluate(self, log: MetricsLog | NoLog) -> None:
        """The scheduled evaluation (FD, likelihood bound, ...), with the model in eval mode and its own noise."""
        assert self.evaluator is not None   # called only when the run has one
        self.model.eval()
        with fixed_noise(self.cfg.seed), silenced():
            scores = self.evaluator(self.model)
        self.model.train()
        log.write({"step": self.progress.step, "epoch": self.progress.epoch, "split": "eval", **scores})

    def _write_grid(self) -> None:
        self.model.eval()
        labels = (torch.arange(self.cfg.grid_size, device=self.model.device) % self.model.num_classes
                  if self.model.conditional else None)
        images = self.model.sample(self.cfg.grid_size, seeded_generator(self.cfg.seed), labels)
        save_grid(images, self.run_dir / SAMPLES / f"step_{self.progress.step:07d}.png")
        if self.progress.finished:
            for name, (pictures, columns) in self.model.figures(seeded_generator(self.cfg.seed)).items():
                save_grid(pictures, self.run_dir / SAMPLES / f"{name}.png", columns=columns)
        self.model.train()

    def _save(self) -> None:
        self.saved_step, self.saved_at = self.progress.step, time.monotonic()
        device = self.model.device
        rank_states = self.ranks.local_states(self.model)   # every rank takes part; rank 0 writes
        if not self.ranks.main:
            return
        save_checkpoint(self.checkpoint_path, {
            "run": self.run_record,
            "model": self.model.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in self.model.optimizers.items()},
            "progress": vars(self.progress).copy(),
            "rng": torch.get_rng_state(),
            **({"cuda_rng": torch.cuda.get_rng_state(device)} if device.type == "cuda" else {}),
            "scalars": self.last_scalars,
            **({"grad_scaler": self.model.grad_scaler.state_dict()} if self.model.grad_scaler is not None else {}),
            **({"ranks": rank_states} if rank_states else {}),
        })


def numerical_failure(err: BaseException) -> str | None:
    """What torch refused, if ``err`` was raised where torch checks numbers (see NUMERICAL_SOURCES), else None."""
    frames = traceback.extract_tb(err.__traceback__)
    if not any(source in frame.filename.replace("\\", "/") for frame in frames for source in NUMERICAL_SOURCES):
        return None
    found = re.search(r"Expected parameter (\w+) .*? of distribution (\w+)", str(err))
    if found:
        return f"the {found[1]} of a {found[2]} distribution left its valid range (NaN, infinite or out of bounds)"
    return f"torch refused the step's numbers ({str(err).splitlines()[0][:100]})"
