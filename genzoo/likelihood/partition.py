"""log Z of an RBM or a DBM, exact where enumeration is cheap and by AIS otherwise, and log-likelihoods built on it."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from genzoo.likelihood import exact
from genzoo.likelihood.ais import BaseRatePath, GaussianVisiblePath, annealing_schedule, log_partition_by_annealing
from genzoo.likelihood.estimate import Estimate
from genzoo.nn.rbm import GaussianRBM

AIS_METHOD = "AIS estimate (log Z a stochastic lower bound, so log p(x) errs high)"


def is_enumerable(machine) -> bool:
    """Whether the even or the odd layers together have at most MAX_ENUMERATED_BITS units."""
    sizes = [len(b) for b in machine.layer_biases]
    return min(sum(sizes[0::2]), sum(sizes[1::2])) <= exact.MAX_ENUMERATED_BITS


def log_partition(machine, base_visible_bias: Tensor, budget: dict[str, int], seed: int,
                  model_samples: Tensor | None = None) -> Estimate:
    """Exact log Z when enumerable; else AIS from the base-rate model with ``base_visible_bias`` (from N(b, I) for a
    Gaussian-Bernoulli RBM), budget 'betas' (default 14,500) and 'chains' (default 100), the reverse check and its
    warning in ``details``; the reverse run starts from ``model_samples`` (the AIS state: even layers side by side)
    where the model has them."""
    gaussian = isinstance(machine, GaussianRBM)
    if gaussian and machine.hidden <= exact.MAX_ENUMERATED_BITS:
        return Estimate(exact.log_partition_exact_gaussian(machine), 0.0, 1, "exact", {}, {"log_partition": "exact"})
    if not gaussian and is_enumerable(machine):
        return Estimate(exact.log_partition_exact(machine), 0.0, 1, "exact", {}, {"log_partition": "exact"})
    used = {"betas": budget.get("betas", 14_500), "chains": budget.get("chains", 100)}
    path = GaussianVisiblePath(machine) if gaussian else BaseRatePath(machine, base_visible_bias)
    ais = log_partition_by_annealing(path, annealing_schedule(used["betas"]), used["chains"], seed,
                                     model_samples=model_samples)
    return Estimate(ais.log_partition.value, ais.log_partition.stderr, used["chains"], AIS_METHOD, used,
                    ais.to_dict())


def minus_log_partition(per_image: Tensor, log_z: Estimate, method: str, budget: dict) -> Estimate:
    """The mean over images of ``per_image`` - log Z, its standard error combining both sources; ``method`` says
    what the per-image term is, and log Z's own method and diagnostics are kept."""
    estimate = Estimate.mean_of(per_image.double() - log_z.value, method, {**log_z.budget, **budget})
    estimate.stderr = math.hypot(estimate.stderr, log_z.stderr)
    estimate.details = {"log_partition_method": log_z.method, **log_z.details}
    return estimate


@torch.no_grad()
def rbm_log_likelihood(rbm, base_visible_bias: Tensor, images: Tensor, budget: dict[str, int], seed: int,
                       model_samples: Tensor | None = None) -> Estimate:
    """log p(v) = -F(v) - log Z of each image, averaged."""
    log_z = log_partition(rbm, base_visible_bias, budget, seed, model_samples)
    method = "exact" if log_z.method == "exact" else log_z.method
    return minus_log_partition(-rbm.free_energy(images.flatten(1)), log_z, method, {})
