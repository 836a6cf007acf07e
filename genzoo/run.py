"""A run: its config (model, train and data sections), its directory, and reopening it to sample or evaluate.

A run directory holds ``config.yaml`` (the config used), ``checkpoint.pt``, ``metrics.jsonl`` and
``samples/``. This module is what the CLI, the demo and the benchmarks call to train and to reopen.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

import genzoo.pretrained
from genzoo import config as configs
from genzoo.checkpoint import load_checkpoint
from genzoo.data import Dataset, load_dataset
from genzoo.data.config import DataConfig
from genzoo.devices import resolve_device
from genzoo.errors import GenzooError
from genzoo.evaluate.suite import EVAL_FILE, evaluate_trained, scheduled_evaluator
from genzoo.models.base import GenerativeModel
from genzoo.precision import check_precision, gradient_scaler
from genzoo.provenance import machine
from genzoo.registry import model_class, names
from genzoo.seeding import seed_everything
from genzoo.train.config import TrainConfig
from genzoo.train.distributed import Ranks, ranks_from_environment
from genzoo.train.loop import CHECKPOINT, Trainer
from genzoo.weights_file import names_in, read_weights

CONFIG_FILE = "config.yaml"
PRETRAINED = "pretrained:"   # the prefix that names a shipped model wherever a run directory is accepted


@dataclass
class RunConfig:
    """Everything that decides what a run computes, besides the data files themselves."""

    model_name: str
    dataset: str
    model: Any
    train: TrainConfig
    data: DataConfig
    preset: str = "default"   # the model's preset the run started from, for the record: the sections hold its values

    def to_dict(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "dataset": self.dataset, "preset": self.preset,
                "model": configs.to_dict(self.model), "train": configs.to_dict(self.train),
                "data": configs.to_dict(self.data)}


def sections(model_name: str) -> dict[str, type]:
    return {"model": model_class(model_name).Config, "train": TrainConfig, "data": DataConfig}


def make_run_config(model_name: str, dataset: str, file_values: dict[str, Any] | None = None,
                    overrides: Sequence[str] = (), epochs: int | None = None, preset: str | None = None) -> RunConfig:
    """Defaults, then the model's training defaults, then its ``preset``, then a YAML file, then ``--set`` pairs; a
    data.binarize that none of them sets is the model's default binarization."""
    classes, model = sections(model_name), model_class(model_name)
    file_values = dict(file_values or {})
    for key in ("model_name", "dataset", "preset"):   # a saved config.yaml can be given as --config
        file_values.pop(key, None)
    unknown = sorted(set(file_values) - set(classes))
    if unknown:
        raise GenzooError(f"unknown config section '{unknown[0]}': use {', '.join(classes)}")
    overridden = configs.parse_overrides(overrides, classes)
    chosen = model.preset(preset)
    values = {name: {**(model.train_defaults if name == "train" else {}), **(chosen.get(name) or {}),
                     **(file_values.get(name) or {}), **overridden[name]} for name in classes}
    if epochs is not None:
        values["train"]["epochs"] = epochs
    built = {name: configs.build(cls, values[name], name) for name, cls in classes.items() if name != "data"}
    values["data"].setdefault("binarize", model.default_binarization(built["model"]))
    built["data"] = configs.build(DataConfig, values["data"], "data")
    binarized = built["data"].binarize != "none"
    model_cfg = model.resolve(built["model"], binarized)
    if built["train"].precision != "32" and not model.mixed_precision:
        raise GenzooError(f"train.precision={built['train'].precision}: {model_name} trains in float32 (its updates "
                          "and likelihoods are not autograd's forward passes); mixed precision is for "
                          f"{names(lambda cls: cls.mixed_precision)}")
    return RunConfig(model_name, dataset, model_cfg, built["train"], built["data"], preset or "default")


def run_config_from_dict(values: dict[str, Any]) -> RunConfig:
    """The RunConfig a run saved, checked like any user input; its sections already hold its preset's values."""
    sections_only = {name: values[name] for name in sections(values["model_name"])}
    sections_only["model"] = {**model_class(values["model_name"]).earlier_defaults, **sections_only["model"]}
    cfg = make_run_config(values["model_name"], values["dataset"], sections_only)
    return dataclasses.replace(cfg, preset=values.get("preset", "default"))


def prepare_run_dir(path: Path, resume: bool) -> None:
    """Create the run directory, or explain in one line why it cannot be used."""
    checkpoint = path / CHECKPOINT
    if resume and not checkpoint.exists():
        raise GenzooError(f"cannot resume: {path} holds no checkpoint; drop --resume to start a new run there")
    if not resume and checkpoint.exists():
        raise GenzooError(f"{path} already holds a run: add --resume to continue it, or choose another --out")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise GenzooError(f"cannot write to the output directory {path}: {err.strerror}; "
                          "choose another --out") from None


def build_model(cfg: RunConfig, image_shape: tuple[int, int, int], num_classes: int) -> GenerativeModel:
    """The model, initialised from the run's seed (so a fresh run is reproducible)."""
    seed_everything(cfg.train.seed, cfg.train.deterministic)
    return model_class(cfg.model_name)(cfg.model, image_shape, num_classes)


def run_record(cfg: RunConfig, dataset: Dataset, init: str | None = None) -> dict[str, Any]:
    """What a checkpoint carries to rebuild its model without the data: config, image shape, classes; the machine
    (cores, torch threads) that trained it last, which decide its speed; and the run or shipped model it started
    from (--init), if any."""
    return {**cfg.to_dict(), "image_shape": list(dataset.image_shape), "classes": list(dataset.classes),
            "data_provenance": dataset.provenance, "machine": machine(), **({"init": init} if init else {})}


def initialise_from(model: GenerativeModel, source: str | Path) -> None:
    """Fine-tuning (--init): the parameters and statistics of a trained run or of pretrained:NAME loaded into a new
    run's ``model``; its optimizers, and its schedule counters (every ``updates`` buffer), start afresh, so that its
    learning rates follow the new run's length."""
    if not model.fine_tunable:
        raise GenzooError(f"--init: a {model.name} is trained layer by layer and then as a whole, so it cannot start "
                          "from a snapshot; train it from scratch")
    opened = open_run(source)
    if opened.config.model_name != model.name:
        raise GenzooError(f"--init {source} holds a {opened.config.model_name}, not a {model.name}: start a "
                          f"{opened.config.model_name} run from it")
    omitted = opened.record.get("weights", {}).get("omitted")
    if omitted:
        raise GenzooError(f"--init: {source} ships without {', '.join(omitted)} (what sampling does not need), so "
                          "it cannot start a training run")
    try:
        model.load_state_dict(opened.model.state_dict())
    except RuntimeError as err:
        detail = next((line.strip() for line in str(err).splitlines() if "size mismatch" in line), "other networks")
        raise GenzooError(f"--init {source}: its {model.name} does not fit this run's config ({detail}); give the "
                          f"model settings it was trained with ('genzoo info {source}')") from None
    for name, buffer in model.named_buffers():
        if name.split(".")[-1] == "updates":
            buffer.zero_()


Announce = Callable[[str], None]


def train(cfg: RunConfig, run_dir: Path, *, data_dir: str | None = None, progress_bar: bool = True,
          device: str | torch.device = "cpu", announce: Announce | None = None,
          init: str | Path | None = None) -> tuple[str, Trainer]:
    """Train a new run into ``run_dir`` on ``device`` (cpu, cuda, cuda:N, mps or auto), from the weights of ``init``
    (a run directory or pretrained:NAME) if given; returns the outcome ('finished' or 'interrupted') and the trainer.
    ``announce`` is given one line, before the first step, saying what the run will do (:func:`start_line`)."""
    run_dir = Path(run_dir)
    device = resolve_device(device)
    check_precision(cfg.train.precision, device)
    created = next((d for d in reversed([run_dir, *run_dir.parents]) if not d.exists()), None)
    prepare_run_dir(run_dir, resume=False)
    try:
        return _fit(cfg, run_dir, None, data_dir, progress_bar, device, announce, init)
    except BaseException:
        if created is not None and not (run_dir / CHECKPOINT).exists():   # the start failed: leave no empty run
            shutil.rmtree(created, ignore_errors=True)
        raise


def resume(run_dir: Path, *, expect: tuple[str, str] | None = None, epochs: int | None = None,
           max_steps: int | None = None, data_dir: str | None = None, progress_bar: bool = True,
           device: str | torch.device = "cpu", announce: Announce | None = None) -> tuple[str, Trainer]:
    """Continue a run from its checkpoint with its saved config, on any device; only its length may change."""
    run_dir = Path(run_dir)
    device = resolve_device(device)
    prepare_run_dir(run_dir, resume=True)
    content = load_checkpoint(run_dir / CHECKPOINT)
    cfg = run_config_from_dict(content["run"])
    if expect is not None and expect != (cfg.model_name, cfg.dataset):
        raise GenzooError(f"{run_dir} holds a {cfg.model_name} run on {cfg.dataset}, not {expect[0]} on "
                          f"{expect[1]}: resume it with the same model and --data")
    length = {k: v for k, v in {"epochs": epochs, "max_steps": max_steps}.items() if v is not None}
    cfg = dataclasses.replace(cfg, train=configs.build(TrainConfig, {**configs.to_dict(cfg.train), **length}, "train"))
    check_precision(cfg.train.precision, device)
    return _fit(cfg, run_dir, content, data_dir, progress_bar, device, announce)


BINARIZATIONS = {"none": "grey images (data.binarize=none)",
                 "fixed": "images binarized once (data.binarize=fixed, with data.seed {seed})",
                 "dynamic": "images binarized afresh in every batch (data.binarize=dynamic)"}


PRECISION_WORDS = {"32": "precision 32 (float32)", "bf16": "precision bf16 (autocast, float32 weights)",
                   "16-mixed": "precision 16-mixed (float16 autocast, gradient scaling, float32 weights)"}


def start_line(cfg: RunConfig, trainer: Trainer) -> str:
    """What a run will do, in one line: model, data, binarization, preset, and its length in epochs and steps."""
    t = cfg.train
    length = (f"{trainer.total_steps:,} steps ({t.epochs} epochs of {trainer.steps_per_epoch:,} steps, batch "
              f"{t.batch_size}" + (f", capped by train.max_steps={t.max_steps:,}" if t.max_steps else "") + ")")
    if trainer.progress.step:
        length = f"resuming at step {trainer.progress.step:,} of {length}"
    return (f"{cfg.model_name} on {cfg.dataset}, {BINARIZATIONS[cfg.data.binarize].format(seed=cfg.data.seed)}, "
            f"preset {cfg.preset}, {PRECISION_WORDS[t.precision]}: {length}")


def _fit(cfg: RunConfig, run_dir: Path, content: dict[str, Any] | None, data_dir: str | None,
         progress_bar: bool, device: torch.device, announce: Announce | None,
         init: str | Path | None = None) -> tuple[str, Trainer]:
    """Train in this process, or as one rank of a torchrun (genzoo.train.distributed), from ``content`` if given."""
    ranks, device = ranks_from_environment(device)
    try:
        return _fit_on(cfg, run_dir, content, data_dir, progress_bar, device, ranks, announce, init)
    finally:
        ranks.close()


def _fit_on(cfg: RunConfig, run_dir: Path, content: dict[str, Any] | None, data_dir: str | None,
            progress_bar: bool, device: torch.device, ranks: Ranks, announce: Announce | None,
            init: str | Path | None) -> tuple[str, Trainer]:
    dataset = load_dataset(cfg.dataset, cfg.data, data_dir)
    model_class(cfg.model_name).check_data(dataset)
    if cfg.train.precision == "16-mixed" and ranks.size > 1:
        raise GenzooError("train.precision=16-mixed under torchrun: each rank's gradient scaler would skip its own "
                          "overflowing steps and the ranks would part; use --precision bf16")
    model = build_model(cfg, dataset.image_shape, len(dataset.classes))
    if init is not None:
        initialise_from(model, init)
    model.to(device)
    model.grad_scaler = gradient_scaler(cfg.train.precision, device)
    ranks.attach(model, cfg.train.seed)
    if ranks.main:
        configs.write_yaml(run_dir / CONFIG_FILE, cfg.to_dict())
    evaluator = None
    if cfg.train.eval_every and ranks.main:
        evaluator = scheduled_evaluator(cfg.train, cfg.data, dataset, data_dir, cfg.train.eval_classifier, device)
    trainer = Trainer(model, dataset, cfg.train, run_dir, run_record(cfg, dataset, str(init) if init else None),
                      dynamic_binarization=cfg.data.binarize == "dynamic", progress_bar=progress_bar,
                      evaluator=evaluator, ranks=ranks)
    if content is not None:
        trainer.restore(content)
    if announce is not None and ranks.main:
        announce(start_line(cfg, trainer))
    return trainer.run(), trainer


@dataclass
class OpenedRun:
    """A trained run reopened from its checkpoint, or a shipped model from its weights file: the model in eval mode
    and what describes it."""

    model: GenerativeModel
    config: RunConfig
    classes: list[str]
    progress: dict[str, Any]
    scalars: dict[str, float]
    record: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)   # the run's eval.json results, or a shipped card's figures
    run_dir: Path | None = None   # None for a shipped model: no curves, no metrics.jsonl


def open_run(source: str | Path, device: str | torch.device = "cpu") -> OpenedRun:
    """The run in directory ``source``, or the shipped model pretrained:NAME, with its model on ``device`` (a
    checkpoint from any device opens on any other)."""
    device = resolve_device(device)
    if str(source).startswith(PRETRAINED):
        return open_shipped(genzoo.pretrained.DIRECTORY, str(source)[len(PRETRAINED):], device)
    run_dir = Path(source)
    if not run_dir.is_dir():
        raise GenzooError(f"no run at {run_dir}: pass the --out directory of 'genzoo train' (or pretrained:NAME, "
                          "see 'genzoo pretrained')")
    content = load_checkpoint(run_dir / CHECKPOINT)
    record = content["run"]
    model = model_from_state(record, content["model"], device)
    return OpenedRun(model, run_config_from_dict(record), list(record["classes"]), content["progress"],
                     content.get("scalars", {}), record, evaluation_of(run_dir), run_dir)


def shipped_list(directory: Path | None = None) -> str:
    """What genzoo ships (in ``directory``, by default the package's), for a message: the names, or how shipped models
    are made where there are none."""
    shipped = names_in(directory or genzoo.pretrained.DIRECTORY)
    if shipped:
        return "genzoo ships " + ", ".join(f"{PRETRAINED}{name}" for name in shipped)
    return ("none are shipped in this copy of genzoo (python -m benchmarks.run pretrained makes them, see "
            "docs/pretrained.md): give run directories instead")


def open_shipped(directory: Path, name: str, device: torch.device) -> OpenedRun:
    """The shipped model ``name`` from ``directory``: its weights file checked against its card's SHA-256, nothing
    unpickled; the card's "omitted" networks (not needed to sample) keep their initial values."""
    if name not in names_in(directory):
        raise GenzooError(f"no shipped model '{name}': {shipped_list(directory)}")
    tensors, card = read_weights(directory, name)
    record = {**card["run"], "weights": card["weights"]}
    model = model_from_state(record, {**tensors, **card.get("extra_state", {})}, device,
                             tuple(card["weights"]["omitted"]))
    return OpenedRun(model, run_config_from_dict(record), list(record["classes"]), card["progress"],
                     card.get("scalars", {}), record, card.get("figures", {}), None)


def model_from_state(record: dict[str, Any], state: dict[str, Any], device: torch.device,
                     omitted: tuple[str, ...] = ()) -> GenerativeModel:
    """The model a run record describes, with ``state`` loaded (all of it but the keys under ``omitted``), in eval
    mode on ``device``."""
    cfg = run_config_from_dict(record)
    model = model_class(cfg.model_name)(cfg.model, tuple(record["image_shape"]), len(record["classes"]))
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as err:
        missing, unexpected = [str(err).splitlines()[-1].strip()], []
    if unexpected or any(not key.startswith(omitted) for key in missing):
        wrong = [key for key in missing if not key.startswith(omitted)][:2] + unexpected[:2]
        raise GenzooError(f"the weights do not fit a {cfg.model_name} of their own config ({', '.join(wrong)}): "
                          "train or export it again")
    return model.to(device).eval()


def evaluation_of(run_dir: Path) -> dict[str, Any]:
    """The run's eval.json; empty where there is none, or where it cannot be read ('genzoo eval' writes it anew)."""
    try:
        figures = json.loads((run_dir / EVAL_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return figures if isinstance(figures, dict) else {}


def num_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def evaluate_run(run_dir: str | Path, metrics: list[str] | None, n: int = 10_000, seed: int = 0,
                 budget: dict[str, int] | None = None, nll_images: int | None = None,
                 classifier: str | Path | None = None, data_dir: str | None = None,
                 floor: bool = False, device: str | torch.device = "cpu", ranks: Ranks | None = None) -> dict[str, Any]:
    """Reopen a trained run on ``device`` (the CPU by default) and evaluate its model on its dataset as it trained on
    it (``metrics`` None: all that apply), the feature network on the same device; with ``floor``, real training
    images scored the same way beside it. With ``ranks`` of a torchrun (:func:`evaluate_on_ranks`), the ranks draw
    and embed the samples together and rank 0 alone measures the rest; the other ranks' metrics are {}."""
    opened = open_run(run_dir, device)
    spread = ranks is not None and ranks.size > 1
    result = evaluate_trained(opened.model, opened.config, metrics, n, seed, budget, nll_images, classifier, data_dir,
                              floor, spread)
    return {"run": str(run_dir), "model": opened.config.model_name, "step": opened.progress["step"],
            **({"ranks": ranks.size} if spread and ranks is not None else {}), **result}


def evaluate_on_ranks(run_dir: str | Path, metrics: list[str] | None, *, device: str | torch.device = "cpu",
                      **options: Any) -> dict[str, Any] | None:
    """:func:`evaluate_run` (its other ``options`` by name) in this process, or as one rank of a torchrun (the ranks'
    samples drawn and embedded together); the result on rank 0, None on the others."""
    ranks, chosen = ranks_from_environment(resolve_device(device))
    try:
        result = evaluate_run(run_dir, metrics, device=chosen, ranks=ranks, **options)
    finally:
        ranks.close()
    return result if ranks.main else None
