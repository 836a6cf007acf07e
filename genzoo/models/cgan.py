"""Conditional GAN (Mirza & Osindero 2014): the game of Goodfellow et al. 2014 with the class label y given to both
players, so that G(z, y) draws an image of the class asked for."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.config import option
from genzoo.data.preprocess import to_unit
from genzoo.errors import GenzooError
from genzoo.models.adversarial import conv_networks
from genzoo.models.gan import ARCHITECTURES, GAN, MinimaxGameConfig
from genzoo.nn.conv import Reshape
from genzoo.nn.discriminator import Discriminator

FIGURE_COLUMNS = 10   # draws of z in the figure of a row per class


@dataclass
class CGANConfig(MinimaxGameConfig):
    architecture: str = option("conv", "conv: the DCGAN networks with y one-hot beside z in G and as constant maps "
                               "beside the image in D; mlp: the networks of Mirza & Osindero 2014, Section 4.1 "
                               "(--preset paper), whose samples at a CPU budget are noise",
                               choices=ARCHITECTURES)
    generator_hidden: tuple[int, ...] = option((200, 1000, 1200), "mlp: G's ReLU layers for z, for y, and the joint "
                                               "one they both feed (Mirza & Osindero 2014, Section 4.1)", low=1)
    discriminator_hidden: tuple[int, ...] = option((240, 50, 240), "mlp: D's LeakyReLU layers for x, for y, and the "
                                                   "joint one (Section 4.1, where they are maxout)", low=1)
    generator_width: int = option(32, "conv: channels of G's last hidden layer, doubled per stage (half DCGAN's)",
                                  low=1)
    discriminator_width: int = option(32, "conv: channels of D's first layer, doubled per stage (half DCGAN's)", low=1)


class Branches(nn.Module):
    """Splits its input's features into parts, maps each part through its own layers and concatenates the results:
    the separate hidden layers of z (or x) and of y before the joint one (Mirza & Osindero 2014, Section 4.1)."""

    def __init__(self, sizes: tuple[int, ...], branches: list[nn.Module]):
        super().__init__()
        self.sizes = sizes
        self.branches = nn.ModuleList(branches)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([branch(part) for branch, part in zip(self.branches, x.split(self.sizes, dim=1))], dim=1)


def conditional_mlp_networks(latent_dim: int, classes: int, image_shape: tuple[int, int, int],
                             generator_hidden: tuple[int, int, int], discriminator_hidden: tuple[int, int, int],
                             minibatch: tuple[int, int] | None = None) -> tuple[nn.Module, Discriminator]:
    """G: z and one-hot y through their own ReLU layers (200 and 1000 units), then a joint ReLU layer (1200) to the
    image; D: the flattened image and y through their own layers (240 and 50), then a joint one (240) to one logit
    (Mirza & Osindero 2014, Section 4.1). Each network takes its two inputs concatenated. D's units are LeakyReLU
    (slope 0.01) in place of the paper's maxout, as in the gan's D; G's output goes through the tanh of every GAN here
    in place of the paper's sigmoid, the same function of a rescaled input on images in [-1, 1]."""
    pixels = math.prod(image_shape)
    z_units, y_units, joint = generator_hidden
    generator = nn.Sequential(
        Branches((latent_dim, classes), [nn.Sequential(nn.Linear(latent_dim, z_units), nn.ReLU()),
                                         nn.Sequential(nn.Linear(classes, y_units), nn.ReLU())]),
        nn.Linear(z_units + y_units, joint), nn.ReLU(), nn.Linear(joint, pixels), Reshape(*image_shape))
    x_units, y_units, joint = discriminator_hidden
    discriminator = Discriminator(
        Branches((pixels, classes), [nn.Sequential(nn.Linear(pixels, x_units), nn.LeakyReLU()),
                                     nn.Sequential(nn.Linear(classes, y_units), nn.LeakyReLU())]),
        nn.Linear(x_units + y_units, joint), nn.LeakyReLU(), nn.Linear(joint, 1))
    if minibatch:
        discriminator = discriminator.with_minibatch_discrimination(*minibatch)
    return generator, discriminator


class CGAN(GAN):
    """G(z, y) and D(x, y) playing the gan's game with the label given to both (Mirza & Osindero 2014, eq. 2), with
    the gan's losses, Adam in place of the paper's SGD with momentum and decaying rate, no dropout, z uniform on
    [-1, 1] (the paper's unit hypercube, centred), and the Improved-GAN options. y is one-hot; the conv architecture
    gives D y as constant maps beside the image's channels (concatenation, as the MLP does, rather than a
    projection). The fakes of a training step are asked for the real batch's labels, so both players see the data's
    label frequencies."""

    name = "cgan"
    summary = "conditional GAN: the label y given to G and D (MLP of the paper, or DCGAN networks); sample --label"
    paper = "Mirza & Osindero 2014, Conditional Generative Adversarial Nets"
    departures = (
        "LeakyReLU in D in place of the paper's maxout",
        "a convolutional variant on the DCGAN networks beside the paper's MLP, which the benchmark's cgan uses",
    )
    Config = CGANConfig
    conditional = True
    # batch: Mirza & Osindero 2014, Section 4.1; 12 epochs: the gan_family cgan (these networks) reached 98.2% label
    # accuracy at 12 epochs, the defaults benchmark's 8 epochs (256 s on 2 cores) only 95.5%, short of the 97% aim
    train_defaults = {"batch_size": 100, "epochs": 12}
    presets = {"paper": {"model": {"architecture": "mlp"}}}
    earlier_defaults = {}   # its runs saved their architecture and widths

    @classmethod
    def resolve(cls, cfg: CGANConfig, binarized: bool) -> CGANConfig:
        for key in ("generator_hidden", "discriminator_hidden"):
            if len(getattr(cfg, key)) != 3:
                raise GenzooError(f"model.{key}={list(getattr(cfg, key))} must give three layer sizes: the "
                                  f"input's, y's and the joint one's, e.g. {list(getattr(CGANConfig(), key))}")
        return super().resolve(cfg, binarized)

    @classmethod
    def generator_has_batch_norm(cls, cfg: CGANConfig) -> bool:
        return cfg.architecture == "conv"

    def networks(self) -> tuple[nn.Module, Discriminator]:
        cfg = self.cfg
        if cfg.architecture == "conv":
            return conv_networks(cfg.latent_dim, self.image_shape, cfg.generator_width, cfg.discriminator_width,
                                 label_dim=self.num_classes, minibatch=self.minibatch_discrimination)
        return conditional_mlp_networks(cfg.latent_dim, self.num_classes, self.image_shape, cfg.generator_hidden,
                                        cfg.discriminator_hidden, self.minibatch_discrimination)

    def one_hot(self, labels: Tensor) -> Tensor:
        return F.one_hot(labels, self.num_classes).float()

    def generator_input(self, z: Tensor, labels: Tensor) -> Tensor:  # type: ignore[override]  # always has labels
        """[z, one-hot y]."""
        return torch.cat([z, self.one_hot(labels).to(z.dtype)], dim=1)

    def discriminator_input(self, x: Tensor, labels: Tensor) -> Tensor:  # type: ignore[override]  # always has labels
        """[flattened x, one-hot y] for the MLP; x with K more channels, channel y all ones, for the conv net."""
        y = self.one_hot(labels).to(x.dtype)
        if self.cfg.architecture == "conv":
            return torch.cat([x, y[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1)
        return torch.cat([x.flatten(1), y], dim=1)

    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """n images of the classes ``labels`` asks for, or of every class in turn (0, 1, ..., K - 1, 0, ...)."""
        labels = cast(Tensor, self.cycled_labels(n)) if labels is None else labels   # a cgan's labels are a tensor
        if labels.shape != (n,) or labels.min() < 0 or labels.max() >= self.num_classes:
            raise GenzooError(f"a cgan of {self.num_classes} classes draws n={n} samples from n labels in 0.."
                              f"{self.num_classes - 1}, got {labels.tolist()[:10]}")
        return super().sample(n, generator, labels.to(self.device))

    @torch.no_grad()
    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """A row per class and a column per draw of z, the same z down each column (Mirza & Osindero 2014,
        Figure 2): what the label decides, and what z does."""
        z = self.noise(FIGURE_COLUMNS, generator).repeat(self.num_classes, 1)
        labels = torch.arange(self.num_classes, device=self.device).repeat_interleave(FIGURE_COLUMNS)
        return {"classes": (to_unit(self.generate(z, labels)), FIGURE_COLUMNS)}
