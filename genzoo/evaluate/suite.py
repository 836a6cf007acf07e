"""One evaluation for every model: samples (or a run) and a dataset in, a dict of numbers and their provenance out.

The CLI's 'genzoo eval', the benchmarks, the report and the training loop's scheduled evaluation all
call :func:`evaluate_samples` or :func:`evaluate_model` (:func:`genzoo.run.evaluate_run` reopens a run and calls
it), so a number means the same wherever it appears.
Samples are compared with the dataset's test split (the real images the model never trained on);
the floor of each metric is the same comparison made with real training images in place of samples
(:func:`real_floor`).
"""

from __future__ import annotations

import dataclasses
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from torch import Tensor

from genzoo import progress
from genzoo.data import Dataset, binarize, load_dataset
from genzoo.errors import GenzooError
from genzoo.evaluate.classes import classifier_score, conditional_accuracy, mode_coverage
from genzoo.evaluate.features import FeatureNetwork, load_feature_network
from genzoo.evaluate.frechet import frechet_distance
from genzoo.evaluate.kid import kernel_inception_distance
from genzoo.evaluate.manifold import manifold_scores
from genzoo.evaluate.memorisation import memorisation
from genzoo.models.base import GenerativeModel
from genzoo.models.stackgan import STAGES
from genzoo.parallel import concatenate_over_ranks, rank, rank_seed, share

METRICS = {
    "fd": "Fréchet distance in the feature network's space (lower is better; not Inception FID)",
    "kid": "kernel distance, unbiased MMD^2 with a cubic kernel, mean and std over subsets",
    "pr": "precision and recall of k-NN manifolds (k=3)",
    "dc": "density and coverage (k=5)",
    "cs": "classifier score: the Inception-score formula with the feature network's classifier",
    "acc": "share of a conditional model's samples classified as the label asked for",
    "modes": "classes the samples fall in, and KL of that histogram from the test set's",
    "mem": "nearest-training-image distances of samples against those of test images",
    "nll": "test log-likelihood in nats: exact, IWAE bound or AIS estimate, whichever the model defines",
    "match": "a text-conditioned model's images that hold what their captions say, by the region checker",
}
EVAL_FILE = "eval.json"
KID_SCALE = 1000   # KID is printed, and tabled in the docs, as MMD^2 x 1e3
KID_UNIT = "MMD^2 as computed; the printed table and the docs show it x 1e3"
MIN_SAMPLES = 10
SAMPLE_METRICS = [m for m in METRICS if m not in ("nll", "match")]
DEFAULT_METRICS = [m for m in METRICS if m != "match"]


def parse_metrics(text: str) -> list[str] | None:
    """A comma-separated list of metric names, each known; 'all' (None) means every metric that applies."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return None
    unknown = [name for name in names if name not in METRICS]
    if unknown or not names:
        raise GenzooError(f"unknown metric '{unknown[0] if unknown else text}': choose from {', '.join(METRICS)} "
                          "or all")
    return names


@dataclass
class RealFeatures:
    """The feature network's view of a dataset's real images, computed once per evaluation."""

    network: FeatureNetwork
    dataset: Dataset
    reference: str
    _cache: dict[str, tuple[Tensor, Tensor]]

    @classmethod
    def of(cls, network: FeatureNetwork, dataset: Dataset, reference: str = "test") -> RealFeatures:
        """Real features of ``dataset`` (grey images, so that models of binarized and of grey data share one
        scale); samples are compared with split ``reference`` ('validation' while training)."""
        if tuple(dataset.image_shape) != network.image_shape:
            raise GenzooError(f"the feature network was trained on {'x'.join(map(str, network.image_shape))} images "
                              f"but {dataset.name} has {'x'.join(map(str, dataset.image_shape))}: train one for these "
                              "data settings with 'genzoo classifier'")
        return cls(network, dataset, reference, {})

    def split(self, name: str) -> tuple[Tensor, Tensor]:
        """(features, class probabilities) of the real images of split ``name``."""
        if name not in self._cache:
            self._cache[name] = self.network.embed(getattr(self.dataset, name).images)
        return self._cache[name]


def sample_metrics(features: Tensor, probs: Tensor, real: RealFeatures, metrics: list[str],
                   labels: Tensor | None = None, seed: int = 0) -> dict[str, Any]:
    """The sample-quality metrics of ``metrics`` for samples already embedded as (features, probs)."""
    reference_features, reference_probs = real.split(real.reference)
    smallest = min(len(features), len(reference_features))
    if smallest < MIN_SAMPLES:
        raise GenzooError(f"the metrics need at least {MIN_SAMPLES} samples and {MIN_SAMPLES} reference images "
                          f"(k = 5 neighbours for density and coverage), got {len(features)} and "
                          f"{len(reference_features)}")
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def timed(name: str, compute, merge: bool = False) -> None:
        """Store compute()'s value under ``name``, or its keys beside the others when ``merge``."""
        progress.say(f"computing {name} of {len(features):,} samples")
        started = time.perf_counter()
        value = compute()
        timings[name] = round(time.perf_counter() - started, 3)
        if merge:
            results.update(value)
        else:
            results[name] = value

    for name in metrics:
        if name == "fd":
            timed("fd", lambda: frechet_distance(features, reference_features))
        elif name == "kid":
            timed("kid", lambda: {**kernel_inception_distance(features, reference_features, seed=seed).to_dict(),
                                  "unit": KID_UNIT})
        elif name in ("pr", "dc") and "precision" not in results:
            timed("pr_dc", lambda: manifold_scores(reference_features, features), merge=True)
        elif name == "cs":
            timed("cs", lambda: classifier_score(probs, seed=seed))
        elif name == "acc" and labels is not None:
            timed("acc", lambda: conditional_accuracy(probs, labels))
        elif name == "modes":
            timed("modes", lambda: mode_coverage(probs, reference_probs), merge=True)
        elif name == "mem":
            timed("mem", lambda: memorisation(features, real.split("train")[0], reference_features), merge=True)
    for name in ("pr", "dc"):
        if name not in metrics:
            for key in {"pr": ("precision", "recall"), "dc": ("density", "coverage")}[name]:
                results.pop(key, None)
    return {**results, "seconds": timings}


def evaluate_samples(samples: Tensor, real: RealFeatures, metrics: list[str], labels: Tensor | None = None,
                     seed: int = 0, spread: bool = False) -> dict[str, Any]:
    """Score ``samples`` (N, C, H, W) in [0, 1] against the test split of ``real``'s dataset. With ``spread`` (under
    torchrun) ``samples`` and ``labels`` are this rank's share: each rank embeds its own, the features of all are
    gathered, and rank 0 alone scores them (the others get {})."""
    started = time.perf_counter()
    features, probs = real.network.embed(samples)
    if spread:
        features, probs = concatenate_over_ranks(features), concatenate_over_ranks(probs)
        labels = None if labels is None else concatenate_over_ranks(labels)
        if rank() > 0:
            return {}
    embedded = time.perf_counter() - started
    results = sample_metrics(features, probs, real, [m for m in metrics if m in SAMPLE_METRICS], labels, seed)
    results["seconds"]["features"] = round(embedded, 3)
    reference = f"{real.dataset.name} {real.reference} split ({len(getattr(real.dataset, real.reference))} images)"
    return {"samples": len(features), "reference": reference,
            **results}


FLOOR_METRICS = ["fd", "kid", "pr", "dc", "cs", "modes"]


def real_floor(real: RealFeatures, n: int | None = None, seed: int = 0,
               metrics: list[str] = FLOOR_METRICS) -> dict[str, Any]:
    """The metrics of real training images against the test split: the best a model can hope for at this n
    (of ``metrics``, those that have a floor)."""
    train = real.dataset.train
    n = min(n or len(real.dataset.test), len(train))
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:n]
    features, probs = real.split("train")
    results = sample_metrics(features[chosen], probs[chosen], real, [m for m in metrics if m in FLOOR_METRICS],
                             seed=seed)
    return {"samples": n, "what": f"{n} real training images against the test split", **results}


def likelihood_images(images: Tensor, binarization: str, seed: int, limit: int | None = None) -> tuple[Tensor, str]:
    """The held-out images a likelihood is measured on, binarized as the model saw its data, and how.

    ``images`` come from a dataset loaded with the run's data settings (so 'fixed' ones are binarized already).
    """
    images = images[:limit]
    if binarization == "dynamic":
        return (binarize(images, torch.Generator().manual_seed(seed)),
                f"fixed: binarized once with seed {seed} (trained on dynamic binarization)")
    if binarization == "fixed":
        return images, "fixed: binarized once by the data loader with data.seed, as in training"
    return images, "none: grey levels in [0, 1], a density in nats"


def read_samples(path: str | Path, expected_shape: tuple[int, int, int]) -> tuple[Tensor, Tensor | None]:
    """Images (and labels, if present) from an .npz holding ``x``: uint8 in 0..255 or floats in [0, 1],
    shaped (N, C, H, W), (N, H, W, C) or (N, H, W) for grey."""
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise GenzooError(f"{path} is empty: save samples with np.savez(path, x=images) or 'genzoo sample RUN --out "
                          "FILE.npz'")
    try:
        archive = np.load(path)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise GenzooError(f"{path} is not an .npz archive: save samples with np.savez(path, x=images)")
        with archive:
            if "x" not in archive:
                raise GenzooError(f"{path} holds no array 'x': save samples with np.savez(path, x=images)")
            x = archive["x"]
            labels = torch.from_numpy(archive["labels"]).long() if "labels" in archive else None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise GenzooError(f"cannot read samples from {path}: {err or type(err).__name__}; give an .npz written by "
                          "np.savez(path, x=images)") from None
    channels, height, width = expected_shape
    if x.ndim == 3 and channels == 1:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[1:] != expected_shape and x.shape[1:] == (height, width, channels):
        x = x.transpose(0, 3, 1, 2)
    if x.ndim != 4 or x.shape[1:] != expected_shape:
        raise GenzooError(f"{path}: samples have shape {tuple(x.shape)} but the dataset's images are "
                          f"{channels}x{height}x{width}: resize them or score them against a matching dataset")
    if x.dtype == np.uint8:
        images = torch.from_numpy(x.astype(np.float32) / 255)
    elif np.issubdtype(x.dtype, np.floating) and np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1:
        images = torch.from_numpy(x.astype(np.float32))
    else:
        raise GenzooError(f"{path}: 'x' must be uint8 (0..255) or floats in [0, 1], got {x.dtype} "
                          f"from {x.min()} to {x.max()}")
    if labels is not None and len(labels) != len(images):
        raise GenzooError(f"{path}: {len(labels)} labels for {len(images)} images")
    return images, labels


@torch.no_grad()
def draw_samples(model, n: int, num_classes: int, seed: int, batch_size: int = 500,
                 spread: bool = False) -> tuple[Tensor, Tensor | None]:
    """n samples in [0, 1] from a model with a seeded generator; a conditional model is asked for every class in
    turn. With ``spread`` (under torchrun), this rank's share of them (:func:`genzoo.parallel.share`), drawn from
    its own seed (:func:`genzoo.parallel.rank_seed`; rank 0's is ``seed``)."""
    first, last = share(n) if spread else (0, n)
    generator = torch.Generator().manual_seed(rank_seed(seed, rank()) if spread else seed)
    count = last - first
    labels = torch.arange(first, last) % num_classes if model.conditional else None
    progress.say(f"drawing {count:,} samples from the {model.name}")
    batches = [torch.empty(0, *model.image_shape)]
    for start in range(0, count, batch_size):
        progress.tick("samples drawn", start, count)
        batches.append(model.sample(min(batch_size, count - start), generator,
                                    None if labels is None else labels[start:start + batch_size]).cpu())
    return torch.cat(batches).clamp(0, 1), labels


def evaluate_model(model, real: RealFeatures, metrics: list[str], held_out: tuple[Tensor, str], n: int = 10_000,
                   seed: int = 0, budget: dict[str, int] | None = None,
                   nll_images: int | None = None, spread: bool = False) -> dict[str, Any]:
    """Sample-quality metrics of ``n`` samples and, with 'nll', the model's log-likelihood of ``held_out``:
    (images as the model's data settings load them, their binarization). With ``spread`` (under torchrun) the ranks
    draw and embed the samples together and rank 0 alone measures the rest; the others get {}."""
    results: dict[str, Any] = {}
    sample_names = [m for m in metrics if m in SAMPLE_METRICS]
    if sample_names:
        started = time.perf_counter()
        samples, labels = draw_samples(model, n, len(real.dataset.classes), seed, spread=spread)
        drawn = round(time.perf_counter() - started, 3)
        results = evaluate_samples(samples, real, sample_names, labels, seed, spread)
        if not results:
            return results
        results["seconds"]["sampling"] = drawn
    if spread and rank() > 0:
        return {}
    if "nll" in metrics:
        images, how = likelihood_images(*held_out, seed, nll_images)
        progress.say(f"computing the log-likelihood of {len(images):,} held-out images")
        started = time.perf_counter()
        estimate = model.log_likelihood(images.to(model.device), budget or {}, seed)
        if estimate is None:
            results["log_likelihood"] = {"note": f"{model.name} defines no likelihood; its numbers are the sample "
                                                 "metrics"}
        else:
            results["log_likelihood"] = {**estimate.to_dict(), "binarization": how,
                                         "seconds": round(time.perf_counter() - started, 3)}
    return results


def evaluate_trained(model, cfg, metrics: list[str] | None, n: int = 10_000, seed: int = 0,
                     budget: dict[str, int] | None = None, nll_images: int | None = None,
                     classifier: str | Path | None = None, data_dir: str | None = None,
                     floor: bool = False, spread: bool = False) -> dict[str, Any]:
    """Evaluate a trained model on the dataset of its run config ``cfg``; with ``floor``, real training images scored
    the same way beside it (for mnist-captions: the real canvases' caption match and FD). ``metrics`` None: all
    that apply to the model. With ``spread`` (under torchrun) the ranks draw and embed the samples together, and
    rank 0 alone measures the rest (a text-conditioned model: all of it); the others' metrics are {}."""
    if spread and rank() > 0 and model.text_conditioned:
        return {"metrics_asked": metrics, "metrics": {}}
    if model.text_conditioned:
        return _evaluate_text_conditioned(model, cfg, metrics, n, seed, classifier, data_dir, floor)
    metrics = metrics or DEFAULT_METRICS
    if "match" in metrics:
        raise GenzooError(f"--metrics match: caption match scores text-conditioned models (stackgan), not "
                          f"{model.name}; drop it")
    dataset = load_dataset(cfg.dataset, cfg.data, data_dir)
    real = RealFeatures.of(load_feature_network(cfg.dataset, classifier, model.device),
                           grey_version(dataset, cfg.data, data_dir))
    results = evaluate_model(model, real, metrics, (dataset.test.images, cfg.data.binarize), n, seed, budget,
                             nll_images, spread)
    if spread and rank() > 0:
        return {"metrics_asked": metrics, "metrics": {}}
    return {"dataset": cfg.dataset, "metrics_asked": metrics, "metrics": results,
            "feature_network": feature_network_summary(real.network),
            **({"floor": real_floor(real, n, seed, metrics)} if floor else {})}


def _evaluate_text_conditioned(model, cfg, metrics: list[str] | None, n: int, seed: int,
                               checker_path: str | Path | None, data_dir: str | None, floor: bool) -> dict[str, Any]:
    """A text-conditioned model on its captions: caption match and FD in the region checker's features."""
    from genzoo.evaluate import text_image
    from genzoo.evaluate.caption_match import load_region_checker

    metrics = text_image.check_text_metrics(metrics or text_image.TEXT_METRICS)
    checker = load_region_checker(checker_path)
    dataset = load_dataset(cfg.dataset, cfg.data, data_dir)
    results = text_image.evaluate_text_model(model, dataset, checker, metrics, n, seed)
    card = {k: checker.card.get(k) for k in ("dataset", "test_cell_accuracy", "test_caption_match", "commit")}
    reference = text_image.real_reference(checker, dataset, results["samples"], seed) if floor else None
    return {"dataset": cfg.dataset, "metrics_asked": metrics, "metrics": results, "region_checker": card,
            **({"floor": reference} if reference else {})}


def check_sample_metrics(metrics: list[str]) -> None:
    """A one-line error for the metrics that need a model rather than its samples."""
    for name in ("nll", "match"):
        if name in metrics:
            raise GenzooError(f"'{name}' needs a model, not samples: drop it from --metrics or evaluate the run "
                              "directory")


def evaluate_sample_array(images: Tensor, labels: Tensor | None, dataset_name: str, metrics: list[str],
                          seed: int = 0, classifier: str | Path | None = None, data_dir: str | None = None,
                          floor: bool = False, device: torch.device | None = None) -> dict[str, Any]:
    """Score images (N, C, H, W) in [0, 1] from anywhere against the test split of ``dataset_name``, loaded as its
    feature network was trained on it."""
    from genzoo import config as configs
    from genzoo.data.config import DataConfig

    check_sample_metrics(metrics)
    network = load_feature_network(dataset_name, classifier, device)
    data_cfg = configs.build(DataConfig, network.card["training"]["data"], "data")   # the images it was trained on
    real = RealFeatures.of(network, load_dataset(dataset_name, data_cfg, data_dir))
    if tuple(images.shape[1:]) != network.image_shape:
        raise GenzooError(f"samples have shape {tuple(images.shape)} but {dataset_name}'s images are "
                          f"{'x'.join(map(str, network.image_shape))}: resize them or score them against a "
                          "matching dataset")
    return {"dataset": dataset_name, "metrics_asked": metrics,
            "metrics": evaluate_samples(images, real, metrics, labels, seed),
            "feature_network": feature_network_summary(network),
            **({"floor": real_floor(real, len(images), seed, metrics)} if floor else {})}


SUBJECT = ("run", "model", "dataset", "step", "samples_file", "feature_network")   # what one eval.json is about


def save_result(result: dict[str, Any], path: Path) -> dict[str, Any]:
    """Write an evaluation's JSON to ``path`` atomically, merged into what an earlier evaluation of the same subject
    (the same run at the same step, or the same samples file, with the same feature network) wrote there: a metric
    measured again replaces its numbers (and its floor), the others stay. ``measured`` says for each metric asked
    for when, by which command and on how many samples (or with which likelihood budget) it was measured. Returns
    what was written; one line if it cannot be."""
    import json

    from genzoo.outputs import write_atomically

    provenance = result.get("provenance", {})
    when = {key: provenance[key] for key in ("date", "command", "commit", "seed") if key in provenance}
    numbers = result["metrics"]
    measured = {name: {**when, "step": result.get("step"),
                       **({"budget": numbers.get("log_likelihood", {}).get("budget")} if name == "nll"
                          else {"samples": numbers.get("samples")})} for name in result["metrics_asked"]}
    merged = {**result, "measured": measured}
    previous = _read_json(Path(path))
    if previous is not None and all(previous.get(key) == result.get(key) for key in SUBJECT):
        merged["metrics"] = {**previous.get("metrics", {}), **numbers,
                             "seconds": {**previous.get("metrics", {}).get("seconds", {}),
                                         **numbers.get("seconds", {})}}
        merged["measured"] = {**previous.get("measured", {}), **measured}
        if "floor" in previous or "floor" in result:
            merged["floor"] = {**previous.get("floor", {}), **result.get("floor", {})}
    text = (json.dumps(merged, indent=2) + "\n").encode()

    def write(f: IO[bytes]) -> None:
        f.write(text)

    write_atomically(Path(path), write)
    return merged


def _read_json(path: Path) -> dict[str, Any] | None:
    """An earlier result at ``path``, or None where there is none (or what is there is not a result)."""
    import json

    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None




def scalars_of(results: dict[str, Any]) -> dict[str, float]:
    """The headline numbers of an evaluation as flat floats, for metrics.jsonl and curves."""
    scalars: dict[str, float] = {key: results[key] for key in ("fd", "precision", "recall", "density", "coverage",
                                                               "acc") if key in results}
    for key in ("kid", "cs"):
        if key in results:
            scalars[key] = results[key]["value"]
    if "classes_covered" in results:
        scalars["classes_covered"] = float(results["classes_covered"])
    if "value" in results.get("log_likelihood", {}):
        scalars["log_likelihood"] = results["log_likelihood"]["value"]
        if "gap_nats" in results["log_likelihood"]["details"]:
            scalars["ais_gap"] = results["log_likelihood"]["details"]["gap_nats"]
    return scalars


def headline_numbers(results: dict[str, Any]) -> dict[str, float]:
    """The figures that say most of one evaluation, where it has them: fd, classes_covered (of classes), accuracy
    (label accuracy, or a text-conditioned model's caption match), log_likelihood and its stderr; a text-conditioned
    model's per stage figures are its final stage's (the images it draws)."""
    final = STAGES[-1]
    numbers: dict[str, float] = {}
    fd = results.get("fd")
    if fd is not None:
        numbers["fd"] = fd[final] if isinstance(fd, dict) else fd
    if "classes_covered" in results:
        numbers.update(classes_covered=results["classes_covered"], classes=results["classes"])
    if "acc" in results:
        numbers["accuracy"] = results["acc"]
    elif final in results.get("caption_match", {}):
        numbers["accuracy"] = results["caption_match"][final]["caption_match"]
    if "value" in results.get("log_likelihood", {}):
        numbers.update(log_likelihood=results["log_likelihood"]["value"], stderr=results["log_likelihood"]["stderr"])
    return numbers


def grey_version(dataset: Dataset, data_cfg, data_dir: str | None = None) -> Dataset:
    """``dataset`` with grey images: itself, unless it was loaded with fixed binarization."""
    if data_cfg.binarize != "fixed":
        return dataset
    return load_dataset(dataset.name, dataclasses.replace(data_cfg, binarize="none"), data_dir)


def scheduled_evaluator(train_cfg, data_cfg, dataset: Dataset, data_dir: str | None = None,
                        classifier: str | Path | None = None, device: torch.device | None = None):
    """The training loop's evaluation: ``train_cfg.eval_metrics`` on the validation split, as flat scalars.

    The likelihood is measured on the first 500 validation images with k=100 (or 1,000 betas), a
    budget small enough to run often; the final number comes from 'genzoo eval'.
    """
    metrics = parse_metrics(train_cfg.eval_metrics) or DEFAULT_METRICS
    real = RealFeatures.of(load_feature_network(dataset.name, classifier, device),
                           grey_version(dataset, data_cfg, data_dir), "validation")
    held_out = (dataset.validation.images, data_cfg.binarize)

    def evaluate(model) -> dict[str, float]:
        return scalars_of(evaluate_model(model, real, metrics, held_out, train_cfg.eval_samples, train_cfg.seed,
                                         {"k": 100, "betas": 1000, "chains": 32}, nll_images=500))

    return evaluate


def feature_network_summary(network: FeatureNetwork) -> dict[str, Any]:
    card = network.card
    return {"dataset": card["dataset"], "test_accuracy": card["test_accuracy"], "commit": card.get("commit"),
            "note": "genzoo's own classifier features: comparable across genzoo runs on this dataset, "
                    "not with Inception-based FID/KID/IS from papers"}




def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


# (row name, which way is better, key that marks the row's metric in a result, its value as text); the same text is
# made of the real-vs-real floor where the floor has the key
SAMPLE_ROWS: list[tuple[str, str, str, Any]] = [
    ("FD (feature network)", "lower", "fd", lambda r: f"{r['fd']:.3f}"),
    ("KID x 1e3", "lower", "kid",
     lambda r: f"{KID_SCALE * r['kid']['value']:.3f} ± {KID_SCALE * r['kid']['std']:.3f}"),
    ("precision / recall", "higher", "precision", lambda r: f"{r['precision']:.3f} / {r['recall']:.3f}"),
    ("density / coverage", "higher", "density", lambda r: f"{r['density']:.3f} / {r['coverage']:.3f}"),
    ("classifier score", "higher", "cs", lambda r: f"{r['cs']['value']:.3f} ± {r['cs']['std']:.3f}"),
    ("conditional accuracy", "higher", "acc", lambda r: f"{r['acc']:.4f}"),
    ("classes covered, KL to data", "more, lower", "classes_covered",
     lambda r: f"{r['classes_covered']} of {r['classes']}, {r['kl_to_data']:.4f} nats"),
    ("memorisation (sample/test distance)", "near 1", "ratio",
     lambda r: f"{r['ratio']:.3f} ({r['share_closer_than_test_1st_percentile']:.3f} closer than test's 1%)"),
]


def _text_rows(results: dict[str, Any], floor: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """A text-conditioned model's rows: caption match and FD of each stage, beside the real canvases'."""
    rows = []
    for stage, scores in results.get("caption_match", {}).items():
        rows.append((f"caption match, {stage}", _percent(scores["caption_match"]), "higher",
                     _percent(floor["caption_match"]["caption_match"]) if floor else ""))
    for stage, value in results.get("fd", {}).items():
        rows.append((f"FD (region checker), {stage}", f"{value:.3f}", "lower", f"{floor['fd']:.3f}" if floor else ""))
    return rows


def _likelihood_rows(nll: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    if "value" not in nll:
        return [("log-likelihood, nats", "none defined", "", "")]
    return [("log-likelihood, nats", f"{nll['value']:.2f} ± {nll['stderr']:.2f}", "higher", "")]


def table_notes(results: dict[str, Any]) -> list[str]:
    """What the table's compact values leave out: units, spreads, the likelihood's estimator and its check."""
    notes = []
    if "kid" in results:
        notes.append(f"KID: unbiased MMD^2 x 1e3, mean ± std over {results['kid']['subsets']} subsets of "
                     f"{results['kid']['subset_size']}")
    if "cs" in results:
        notes.append(f"classifier score: mean ± std over {results['cs']['splits']} splits")
    nll = results.get("log_likelihood", {})
    if "value" in nll:
        budget = ", ".join(f"{k}={v}" for k, v in nll["budget"].items())
        notes.append(f"log-likelihood: {nll['method']}, {budget}; ± standard error; {nll['binarization']}")
        ais = nll.get("details", {})
        if "reverse_log_partition" in ais:
            notes.append(f"AIS check: log Z {ais['log_partition']['value']:.2f} forward, "
                         f"{ais['reverse_log_partition']['value']:.2f} reverse; " + (ais["warning"] or "consistent"))
    elif "note" in nll:
        notes.append(f"log-likelihood: {nll['note']}")
    return notes


def table_rows(results: dict[str, Any], floor: dict[str, Any] | None = None) -> list[tuple[str, str, str, str]]:
    """(metric, value, which way is better, real-vs-real value or '') for each metric an evaluation holds."""
    if isinstance(results.get("fd"), dict) or "caption_match" in results:
        return _text_rows(results, floor)
    rows = [(name, text(results), better, text(floor) if floor and key in floor else "")
            for name, better, key, text in SAMPLE_ROWS if key in results]
    if "log_likelihood" in results:
        rows += _likelihood_rows(results["log_likelihood"])
    return rows


def format_table(results: dict[str, Any], floor: dict[str, Any] | None = None) -> str:
    """The metrics of one evaluation as aligned columns: metric, value, which way is better and, given the floor
    (real images scored as if they were samples), its value, so that each number can be read against the best a
    model can hope for at this sample size."""
    rows = table_rows(results, floor)
    if not rows:
        return ""
    real = floor is not None and any(row[3] for row in rows)
    header = ("metric", "value", "better",
              f"real images (n={floor.get('samples', floor.get('images'))})" if floor is not None else "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = ["  ".join(f"{cell:<{width}}" for cell, width in zip(row[:3], widths)) + (f"  {row[3]}" if real else "")
             for row in [header, *rows]]
    return "\n".join([line.rstrip() for line in lines] + table_notes(results))


def evaluate(model_or_samples: GenerativeModel | Tensor | np.ndarray | str | Path, data: str | None = None,
             metrics: Sequence[str] | str | None = None, n: int = 10_000, seed: int = 0,
             budget: dict[str, int] | None = None, data_dir: str | None = None) -> dict[str, Any]:
    """The numbers of 'genzoo eval' as a dict ({"fd": ..., "kid": {...}, "log_likelihood": {...}, ...}).

    ``model_or_samples``: a model from :func:`load` (scored on its run's dataset, ``n`` samples; ``data`` must be
    left out), or samples from anywhere with ``data`` naming the dataset to score them against: a tensor or array
    (N, C, H, W) in [0, 1] (uint8 arrays in 0..255), or the path of an .npz holding ``x``. ``metrics``: names or a
    comma-separated string (see 'genzoo eval --help'); None: all that apply.
    """

    names = parse_metrics(metrics) if isinstance(metrics, str) else (list(metrics) if metrics else None)
    if names:
        parse_metrics(",".join(names))   # each name known
    if isinstance(model_or_samples, GenerativeModel):
        cfg = model_or_samples.run_config
        if cfg is None:
            raise GenzooError("evaluate needs to know the model's data: open it with genzoo.load(run_dir)")
        if data is not None and data != cfg.dataset:
            raise GenzooError(f"a model is scored on the dataset it trained on ({cfg.dataset}), not {data}: "
                              "drop data=")
        return evaluate_trained(model_or_samples, cfg, names, n, seed, budget, data_dir=data_dir)["metrics"]
    if data is None:
        raise GenzooError("samples need data=DATASET to be scored against, e.g. data='mnist'")
    images, labels = _samples(model_or_samples, data)
    return evaluate_sample_array(images, labels, data, names or SAMPLE_METRICS, seed,
                                       data_dir=data_dir)["metrics"]


def _samples(samples: Any, data: str) -> tuple[Tensor, Tensor | None]:
    """Images in [0, 1] as float32 (N, C, H, W), and labels where an .npz holds them."""
    if isinstance(samples, (str, Path)):
        return read_samples(samples, load_feature_network(data).image_shape)
    if isinstance(samples, np.ndarray):
        samples = torch.from_numpy(samples.astype(np.float32) / 255 if samples.dtype == np.uint8 else samples)
    if not isinstance(samples, torch.Tensor) or samples.dim() != 4:
        raise GenzooError("samples must be a tensor or array (N, C, H, W) in [0, 1] or an .npz path")
    samples = samples.float()
    if not torch.isfinite(samples).all() or samples.min() < 0 or samples.max() > 1:
        raise GenzooError("samples must lie in [0, 1] (uint8 arrays in 0..255)")
    return samples, None
