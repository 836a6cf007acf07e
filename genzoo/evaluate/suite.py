"""One evaluation for every model: samples (or a run) and a dataset in, a dict of numbers and their provenance out.

The CLI's 'genzoo eval', the benchmarks, the report and the training loop's scheduled evaluation all
call :func:`evaluate_samples` or :func:`evaluate_run`, so a number means the same wherever it appears.
Samples are compared with the dataset's test split (the real images the model never trained on);
the floor of each metric is the same comparison made with real training images in place of samples
(:func:`real_floor`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from genzoo.data import Dataset, binarize, load_dataset
from genzoo.errors import GenzooError
from genzoo.evaluate.classes import classifier_score, conditional_accuracy, mode_coverage
from genzoo.evaluate.features import FeatureNetwork, load_feature_network
from genzoo.evaluate.frechet import frechet_distance
from genzoo.evaluate.kid import kernel_inception_distance
from genzoo.evaluate.manifold import manifold_scores
from genzoo.evaluate.memorisation import memorisation

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
}
EVAL_FILE = "eval.json"
MIN_SAMPLES = 10
SAMPLE_METRICS = [m for m in METRICS if m != "nll"]
DEFAULT_METRICS = list(METRICS)


def parse_metrics(text: str) -> list[str]:
    """A comma-separated list of metric names, each known; 'all' means every metric."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return list(METRICS)
    unknown = [name for name in names if name not in METRICS]
    if unknown or not names:
        raise GenzooError(f"unknown metric '{unknown[0] if unknown else text}': choose from {', '.join(METRICS)} or all")
    return names


@dataclass
class RealFeatures:
    """The feature network's view of a dataset's real images, computed once per evaluation."""

    network: FeatureNetwork
    dataset: Dataset
    reference: str
    _cache: dict[str, tuple[Tensor, Tensor]]

    @classmethod
    def of(cls, network: FeatureNetwork, dataset: Dataset, reference: str = "test") -> "RealFeatures":
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
                          f"(k = 5 neighbours for density and coverage), got {len(features)} and {len(reference_features)}")
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def timed(name: str, compute, merge: bool = False) -> None:
        """Store compute()'s value under ``name``, or its keys beside the others when ``merge``."""
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
            timed("kid", lambda: kernel_inception_distance(features, reference_features, seed=seed).to_dict())
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
                     seed: int = 0) -> dict[str, Any]:
    """Score ``samples`` (N, C, H, W) in [0, 1] against the test split of ``real``'s dataset."""
    started = time.perf_counter()
    features, probs = real.network.embed(samples)
    embedded = time.perf_counter() - started
    results = sample_metrics(features, probs, real, [m for m in metrics if m in SAMPLE_METRICS], labels, seed)
    results["seconds"]["features"] = round(embedded, 3)
    reference = f"{real.dataset.name} {real.reference} split ({len(getattr(real.dataset, real.reference))} images)"
    return {"samples": len(samples), "reference": reference,
            **results}


def real_floor(real: RealFeatures, n: int | None = None, seed: int = 0) -> dict[str, Any]:
    """The metrics of real training images against the test split: the best a model can hope for at this n."""
    train = real.dataset.train
    n = min(n or len(real.dataset.test), len(train))
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:n]
    features, probs = real.split("train")
    results = sample_metrics(features[chosen], probs[chosen], real, ["fd", "kid", "pr", "dc", "cs", "modes"],
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
    try:
        archive = np.load(path)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise GenzooError(f"{path} is not an .npz archive: save samples with np.savez(path, x=images)")
        with archive:
            if "x" not in archive:
                raise GenzooError(f"{path} holds no array 'x': save samples with np.savez(path, x=images)")
            x = archive["x"]
            labels = torch.from_numpy(archive["labels"]).long() if "labels" in archive else None
    except (OSError, ValueError) as err:
        raise GenzooError(f"cannot read samples from {path}: {err}") from None
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
def draw_samples(model, n: int, num_classes: int, seed: int, batch_size: int = 500) -> tuple[Tensor, Tensor | None]:
    """n samples in [0, 1] from a model with a seeded generator; a conditional model is asked for every class in turn."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % num_classes if model.conditional else None
    batches = [model.sample(min(batch_size, n - start), generator,
                            None if labels is None else labels[start:start + batch_size]).cpu()
               for start in range(0, n, batch_size)]
    return torch.cat(batches).clamp(0, 1), labels


def evaluate_model(model, real: RealFeatures, metrics: list[str], held_out: tuple[Tensor, str], n: int = 10_000,
                   seed: int = 0, budget: dict[str, int] | None = None, nll_images: int | None = None) -> dict[str, Any]:
    """Sample-quality metrics of ``n`` samples and, with 'nll', the model's log-likelihood of ``held_out``:
    (images as the model's data settings load them, their binarization)."""
    results: dict[str, Any] = {}
    sample_names = [m for m in metrics if m in SAMPLE_METRICS]
    if sample_names:
        started = time.perf_counter()
        samples, labels = draw_samples(model, n, len(real.dataset.classes), seed)
        drawn = round(time.perf_counter() - started, 3)
        results = evaluate_samples(samples, real, sample_names, labels, seed)
        results["seconds"]["sampling"] = drawn
    if "nll" in metrics:
        images, how = likelihood_images(*held_out, seed, nll_images)
        started = time.perf_counter()
        estimate = model.log_likelihood(images.to(model.device), budget or {}, seed)
        if estimate is None:
            results["log_likelihood"] = {"note": f"{model.name} defines no likelihood; its numbers are the sample metrics"}
        else:
            results["log_likelihood"] = {**estimate.to_dict(), "binarization": how,
                                         "seconds": round(time.perf_counter() - started, 3)}
    return results


def evaluate_run(run_dir: str | Path, metrics: list[str], n: int = 10_000, seed: int = 0,
                 budget: dict[str, int] | None = None, nll_images: int | None = None,
                 classifier: str | Path | None = None, data_dir: str | None = None,
                 device: str | torch.device = "cpu") -> dict[str, Any]:
    """Reopen a trained run on ``device`` (the CPU by default), load its dataset as it trained on it, and evaluate its
    model; the feature network runs on the same device."""
    from genzoo.run import open_run   # here: genzoo.run imports the models, which import this package

    opened = open_run(run_dir, device)
    device = opened.model.device
    cfg = opened.config
    dataset = load_dataset(cfg.dataset, cfg.data, data_dir)
    real = RealFeatures.of(load_feature_network(cfg.dataset, classifier, device),
                           grey_version(dataset, cfg.data, data_dir))
    results = evaluate_model(opened.model, real, metrics, (dataset.test.images, cfg.data.binarize), n, seed, budget,
                             nll_images)
    return {"run": str(run_dir), "model": cfg.model_name, "dataset": cfg.dataset, "step": opened.progress["step"],
            "metrics": results, "feature_network": feature_network_summary(real.network)}


def save_result(result: dict[str, Any], path: Path) -> None:
    """Write an evaluation's JSON, or say in one line why it cannot be written."""
    import json

    try:
        Path(path).write_text(json.dumps(result, indent=2) + "\n")
    except OSError as err:
        raise GenzooError(f"cannot write {path}: {err.strerror}") from None


def scalars_of(results: dict[str, Any]) -> dict[str, float]:
    """The headline numbers of an evaluation as flat floats, for metrics.jsonl and curves."""
    scalars = {key: results[key] for key in ("fd", "precision", "recall", "density", "coverage", "acc")
               if key in results}
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
    metrics = parse_metrics(train_cfg.eval_metrics)
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


def format_table(results: dict[str, Any]) -> str:
    """The metrics of one evaluation as aligned 'name  value' lines."""
    rows = []
    if "fd" in results:
        rows.append(("FD (feature network)", f"{results['fd']:.3f}"))
    if "kid" in results:
        kid = results["kid"]
        rows.append(("KID", f"{kid['value']:.5f} ± {kid['std']:.5f} (std over {kid['subsets']} subsets of "
                            f"{kid['subset_size']})"))
    if "precision" in results:
        rows.append(("precision / recall", f"{results['precision']:.3f} / {results['recall']:.3f}"))
    if "density" in results:
        rows.append(("density / coverage", f"{results['density']:.3f} / {results['coverage']:.3f}"))
    if "cs" in results:
        cs = results["cs"]
        rows.append(("classifier score", f"{cs['value']:.3f} ± {cs['std']:.3f} (std over {cs['splits']} splits)"))
    if "acc" in results:
        rows.append(("conditional accuracy", f"{results['acc']:.4f}"))
    if "classes_covered" in results:
        rows.append(("classes covered", f"{results['classes_covered']} of {results['classes']}, "
                                        f"KL to data {results['kl_to_data']:.4f} nats"))
    if "ratio" in results:
        rows.append(("memorisation", f"nearest-train distance {results['median_sample_to_train']:.3f} vs "
                                     f"{results['median_test_to_train']:.3f} for test images; "
                                     f"{results['share_closer_than_test_1st_percentile']:.3f} of samples "
                                     "closer than 99% of test images"))
    if "log_likelihood" in results:
        nll = results["log_likelihood"]
        if "value" in nll:
            budget = ", ".join(f"{k}={v}" for k, v in nll["budget"].items())
            rows.append(("log-likelihood", f"{nll['value']:.2f} ± {nll['stderr']:.2f} nats "
                                           f"({nll['method']}, {budget}; {nll['binarization']})"))
            ais = nll.get("details", {})
            if "reverse_log_partition" in ais:
                rows.append(("AIS check", f"log Z {ais['log_partition']['value']:.2f} forward, "
                                          f"{ais['reverse_log_partition']['value']:.2f} reverse; "
                                          + (ais["warning"] or "consistent")))
        else:
            rows.append(("log-likelihood", nll["note"]))
    width = max(len(name) for name, _ in rows) if rows else 0
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
