"""What a latent code means, measured: how well a categorical code names the classes, and which geometric property
of the images (slant, width) a continuous code moves (Chen et al. 2016, Section 7.1 and Figure 2)."""

from __future__ import annotations

import torch
from scipy.optimize import linear_sum_assignment
from scipy.stats import spearmanr
from torch import Tensor


def matched_accuracy(codes: Tensor, classes: Tensor, num_codes: int, num_classes: int) -> dict:
    """Share of samples whose code maps to their class under the best one-to-one matching of codes to classes
    (the Hungarian algorithm on the co-occurrence counts): a code's number is arbitrary, only its grouping counts."""
    counts = torch.zeros(num_codes, num_classes, dtype=torch.long)
    counts.index_put_((codes, classes), torch.ones_like(codes), accumulate=True)
    rows, columns = linear_sum_assignment(counts.numpy(), maximize=True)
    return {"accuracy": counts[rows, columns].sum().item() / len(codes),
            "code_to_class": {int(r): int(c) for r, c in zip(rows, columns)}, "counts": counts.tolist()}


def ink_moments(images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Central second moments (x-x, x-y, y-y) of each image's ink, with pixel intensity as mass; x runs right
    and y down, in pixels."""
    mass = images.flatten(1).clamp(min=0)
    height, width = images.shape[-2:]
    y, x = torch.meshgrid(torch.arange(height, dtype=mass.dtype), torch.arange(width, dtype=mass.dtype), indexing="ij")
    x, y = x.flatten(), y.flatten()
    total = mass.sum(1).clamp(min=1e-8)
    mean_x, mean_y = (mass * x).sum(1) / total, (mass * y).sum(1) / total
    dx, dy = x - mean_x[:, None], y - mean_y[:, None]
    return (mass * dx * dx).sum(1) / total, (mass * dx * dy).sum(1) / total, (mass * dy * dy).sum(1) / total


def slant(images: Tensor) -> Tensor:
    """Horizontal shift of the ink per pixel downwards, mu_xy / mu_yy: positive leans the top to the left (like
    a backslash), negative to the right (like italics), 0 upright; the shear that deslanting undoes."""
    xx, xy, yy = ink_moments(images)
    return xy / yy.clamp(min=1e-8)


def width(images: Tensor) -> Tensor:
    """Horizontal spread of the ink, the standard deviation of its x coordinate in pixels."""
    return ink_moments(images)[0].sqrt()


PROPERTIES = {"slant": slant, "width": width}


def property_trend(values: Tensor, measured: Tensor) -> dict:
    """How a measured image property follows a code swept over ``values`` (one row of ``measured`` per value, a
    column per noise draw): its mean per value, the Spearman correlation of the means with the values, and
    whether the means move monotonically."""
    means = measured.mean(1)
    steps = means[1:] - means[:-1]
    rho = spearmanr(values.tolist(), means.tolist())[0]
    return {"values": values.tolist(), "means": means.tolist(), "spearman_rho": float(rho),
            "monotonic": bool((steps > 0).all() or (steps < 0).all())}


SWEEP = torch.linspace(-2, 2, 9)   # a continuous code from -2 to 2, beyond its training range (Figure 2)


@torch.no_grad()
def infogan_codes(model, network, seed: int = 0, n: int = 10_000, rows: int = 500, batch_size: int = 500,
                  real: tuple[Tensor, Tensor] | None = None, validation: tuple[Tensor, Tensor] | None = None) -> dict:
    """An InfoGAN's codes, measured: the first categorical code's matched accuracy against the classes that
    ``network`` gives n samples; with ``real`` (test images in [0, 1], labels), also that of Q's reading of the first
    code on them against their labels, and likewise on ``validation``, by which a run can be chosen among seeds
    without the test split; and for each continuous code the slant and width of ``rows`` noise draws as the code
    sweeps from -2 to 2 with everything else fixed. ``model`` has draw / latent / traversal_latents / generate, and
    classify for ``real`` and ``validation``."""
    generator = torch.Generator().manual_seed(seed)

    def images(latents: Tensor) -> Tensor:
        return torch.cat([model.generate(part).add(1).div(2).clamp(0, 1) for part in latents.split(batch_size)])

    report: dict = {}
    categorical = len(model.cfg.categorical_codes)
    if categorical:
        draws = model.draw(n, generator)
        classes = network.embed(images(model.latent(*draws)))[1].argmax(1)
        report["categorical"] = matched_accuracy(draws[1][:, 0], classes, model.cfg.categorical_codes[0],
                                                 len(network.card["classes"]))
        for key, digits in (("categorical_read_by_q", real), ("categorical_read_by_q_on_validation", validation)):
            if digits is not None:
                read = torch.cat([model.classify(part)[:, 0] for part in digits[0].split(batch_size)])
                report[key] = matched_accuracy(read, digits[1], model.cfg.categorical_codes[0],
                                               len(network.card["classes"]))
    draws = model.draw(rows, generator)
    for j in range(model.cfg.continuous_codes):
        swept = images(model.traversal_latents(draws, categorical + j, SWEEP)).unflatten(0, (rows, len(SWEEP)))
        report[f"continuous_c{categorical + j + 1}"] = {
            name: property_trend(SWEEP, measure(swept.flatten(0, 1)).unflatten(0, (rows, len(SWEEP))).T)
            for name, measure in PROPERTIES.items()}
    return report
