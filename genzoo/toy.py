"""A GAN trained on 2-D points in front of the user: the ring of 8 or the grid of 25 Gaussians (genzoo.evaluate.toy2d)
treated as 1x1x2 'images', one discriminator or generator update at a time. One piece for the gan_modes benchmark
and the live page of 'genzoo serve --toy': the same models and training steps as on images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from genzoo.errors import GenzooError
from genzoo.evaluate.toy2d import Toy2D
from genzoo.models.adversarial import AdversarialModel
from genzoo.run import build_model, make_run_config

# the MLP of Arjovsky et al. 2017's Figure 6 on both sides: 4 layers, 3 hidden of 512 ReLU units
MLP_4x512 = {"gan": ["model.architecture=mlp", "model.generator_hidden=[512,512,512]",
                     "model.discriminator_hidden=[512,512,512]"],
             "wgan": ["model.architecture=mlp", "model.hidden=[512,512,512]"],
             "wgan-gp": ["model.architecture=mlp", "model.hidden=[512,512,512]"]}
MODELS = tuple(MLP_4x512)
SCALE = 5.0       # toy points / SCALE lie in [-1, 1], the range of the generator's tanh
EXTENT = 5.5      # the square [-EXTENT, EXTENT]^2 that the page draws and the discriminator's map covers
SCORED = 2500     # samples the mode-coverage score is measured on (VEEGAN's 2,500)


def to_images(points: Tensor) -> Tensor:
    """Points (n, 2) as images (n, 1, 1, 2) in [0, 1]."""
    return (points / SCALE + 1).div(2).reshape(-1, 1, 1, 2)


def to_points(images: Tensor) -> Tensor:
    """Images (n, 1, 1, 2) in [0, 1] as points (n, 2)."""
    return (images.reshape(-1, 2) * 2 - 1) * SCALE


class ToyGame:
    """A GAN, WGAN or WGAN-GP of MLP_4x512 networks (``settings`` laid over them) and its data: batches of
    ``target`` drawn from the game's own seeded generator, so a game replays exactly from its seed."""

    def __init__(self, model_name: str, target: Toy2D, settings: Sequence[str] = (), seed: int = 0,
                 steps: int | None = None):
        if model_name not in MLP_4x512:
            raise GenzooError(f"unknown toy model '{model_name}': choose {', '.join(MODELS)}")
        cfg = make_run_config(model_name, "digits", overrides=[*MLP_4x512[model_name], *settings,
                                                              f"train.seed={seed}"])
        model = build_model(cfg, (1, 1, 2), len(target.centres))
        assert isinstance(model, AdversarialModel)   # every MLP_4x512 model plays an adversarial game
        self.model = model
        self.model.total_steps = steps   # the run's length, for a learning-rate decay
        self.model_name, self.target, self.seed = model_name, target, seed
        self.batch_size = cfg.train.batch_size
        self.data = torch.Generator().manual_seed(seed)
        self.generator_updates = 0
        self.discriminator_updates = 0

    def batch(self, n: int | None = None) -> tuple[Tensor, Tensor]:
        """A batch of real points as images, with the zero labels a train step takes."""
        points = self.target.sample(n or self.batch_size, self.data)
        return to_images(points), torch.zeros(len(points), dtype=torch.long)

    def train_step(self) -> dict[str, float]:
        """One step of the model's own game (a GAN: one D and one G update; a WGAN: n_critic critic updates, then G)."""
        scalars = self.model.train_step(*self.batch())
        self.generator_updates += 1
        self.discriminator_updates += getattr(self.model.cfg, "critic_steps", 1)
        return scalars

    def discriminator_step(self) -> dict[str, float]:
        """One update of the discriminator or critic alone, on a batch of the size one of its updates takes."""
        steps = getattr(self.model.cfg, "critic_steps", 1)
        scalars = self.model.discriminator_step(*self.batch(max(1, self.batch_size // steps)))  # type: ignore
        self.discriminator_updates += 1
        return scalars

    def generator_step(self) -> dict[str, float]:
        """One update of the generator alone."""
        steps = getattr(self.model.cfg, "critic_steps", 1)
        scalars = self.model.generator_step(*self.batch(max(1, self.batch_size // steps)))  # type: ignore
        self.generator_updates += 1
        return scalars

    @torch.no_grad()
    def samples(self, n: int = SCORED) -> Tensor:
        """n generated points (n, 2), drawn with the game's seed so that successive views show the same draws move."""
        self.model.eval()
        points = to_points(self.model.sample(n, torch.Generator().manual_seed(self.seed)))
        self.model.train()
        return points

    def score(self) -> dict[str, Any]:
        """The target's mode-coverage scores of SCORED generated points."""
        return self.target.score(self.samples())

    @torch.no_grad()
    def value_map(self, resolution: int) -> Tensor:
        """The discriminator's probability of real (a critic's score) on a resolution x resolution grid over the
        drawn square, row 0 at the top."""
        ticks = torch.linspace(-EXTENT, EXTENT, resolution)
        ys, xs = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
        self.model.eval()
        values = self.model.discriminator_value(to_images(torch.stack([xs, ys], -1).reshape(-1, 2)))  # type: ignore
        self.model.train()
        return values.reshape(resolution, resolution)

    @torch.no_grad()
    def warp(self, lines: int = 9, points: int = 33) -> Tensor:
        """The generator's image of a grid in the first two latent coordinates (the others 0), over [-1, 1] for
        uniform noise and [-2, 2] for normal: (2 * lines, points, 2), the grid's rows then its columns."""
        reach = 1.0 if self.model.cfg.noise == "uniform" else 2.0
        along, across = torch.linspace(-reach, reach, points), torch.linspace(-reach, reach, lines)
        grid = torch.stack([torch.stack(torch.broadcast_tensors(along, across[:, None]), -1),
                            torch.stack(torch.broadcast_tensors(across[:, None], along), -1)]).reshape(-1, points, 2)
        z = torch.zeros(2 * lines, points, self.model.cfg.latent_dim)
        z[..., :2] = grid[..., :self.model.cfg.latent_dim]
        self.model.eval()
        images = (self.model.generate(z.reshape(-1, z.shape[-1])) + 1) / 2
        self.model.train()
        return to_points(images).reshape(2 * lines, points, 2)
