"""The generative adversarial net of Goodfellow et al. 2014, its players MLPs (the paper's) or convolutional networks,
and the options of its game: the losses, Adam, and the Improved-GAN techniques of Salimans et al. 2016."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

import torch
from torch import Tensor, nn

from genzoo.config import option
from genzoo.data.preprocess import to_symmetric
from genzoo.errors import GenzooError
from genzoo.models.adversarial import NOISE, AdversarialModel, conv_networks, mlp_networks
from genzoo.nn.discriminator import Discriminator
from genzoo.nn.gan_losses import GENERATOR_LOSSES, discriminator_loss, feature_matching_loss, generator_loss
from genzoo.nn.historical_average import HistoricalAverage
from genzoo.nn.virtual_batch_norm import with_virtual_batch_norm


@dataclass
class MinimaxGameConfig:
    """What every model playing the game of Goodfellow et al. 2014 shares (gan, dcgan, cgan): z, the losses, Adam, and
    the Improved-GAN techniques (Salimans et al. 2016), all off by default."""

    latent_dim: int = option(100, "dimension of z (Radford et al. 2015, Figure 1)", low=1)
    noise: str = option("uniform", "distribution of z: uniform on [-1, 1] as in Radford et al. 2015, or normal",
                        choices=NOISE)
    generator_loss: str = option("non-saturating", "what G minimises: non-saturating -log D(G(z)) (Goodfellow et al. "
                                 "2014, Section 3), or minimax log(1 - D(G(z))), its term of the value function, "
                                 "whose gradient vanishes while D rejects the fakes", choices=GENERATOR_LOSSES)
    real_label: float = option(1.0, "D's target for real images; 0.9 is one-sided label smoothing (Salimans et al. "
                               "2016, Section 3.4)", low=0.0, high=1.0)
    lr: float = option(2e-4, "Adam learning rate for both networks (Radford et al. 2015, Section 4)", low=0.0)
    beta1: float = option(0.5, "Adam beta1 (Radford et al. 2015, Section 4)", low=0.0, high=1.0)
    lr_decay: bool = option(False, "decay both learning rates linearly to 0 over the run; false keeps them constant "
                            "(Radford et al. 2015)")
    feature_matching: bool = option(False, "G minimises ||E f(x) - E f(G(z))||^2, f being D's last hidden layer, in "
                                    "place of generator_loss (Salimans et al. 2016, Section 3.1); logged as "
                                    "feature_distance")
    minibatch_kernels: int = option(0, "B, kernels of minibatch discrimination before D's head; 0 for none, e.g. 100 "
                                    "(Salimans et al. 2016, Section 3.2)", low=0)
    minibatch_kernel_dims: int = option(5, "C, the dimension each kernel compares examples in (Salimans et al. 2016, "
                                        "Section 3.2)", low=1)
    historical_averaging: float = option(0.0, "weight of ||theta - (1/t) sum_i theta[i]||^2 in each player's loss; 0 "
                                         "for none (Salimans et al. 2016, Section 3.3); the distances are logged",
                                         low=0.0)
    virtual_batch_norm: bool = option(False, "G's batch norm normalises each example with the statistics of a fixed "
                                      "reference batch and itself (Salimans et al. 2016, Section 3.5); for "
                                      "generators with batch norm")
    reference_batch_size: int = option(64, "virtual batch norm: inputs in the reference batch, drawn once when the "
                                       "model is built", low=1)


ARCHITECTURES = ("mlp", "conv")


@dataclass
class GANConfig(MinimaxGameConfig):
    architecture: str = option("conv", "conv: the DCGAN networks at half DCGAN's width, which cover every MNIST digit; "
                               "mlp: the MLPs of the paper's game (--preset paper), which on MNIST collapse onto one "
                               "digit (the gan_modes benchmark)", choices=ARCHITECTURES)
    generator_hidden: tuple[int, ...] = option((512, 512, 512), "mlp: G's hidden ReLU layers (Arjovsky et al. 2017, "
                                               "Figure 6: an MLP of 4 layers of 512 units)", low=1)
    discriminator_hidden: tuple[int, ...] = option((512, 512, 512), "mlp: D's hidden LeakyReLU layers", low=1)
    generator_width: int = option(32, "conv: channels of G's last hidden layer, doubled per stage", low=1)
    discriminator_width: int = option(32, "conv: channels of D's first layer, doubled per stage", low=1)


class GAN(AdversarialModel):
    """Generator G(z) and discriminator D(x) playing the minimax game of Goodfellow et al. 2014, eq. 1.

    G minimises the non-saturating -log D(G(z)) by default: early in training D rejects the fakes with
    confidence, log(1 - D(G(z))) saturates and its gradient vanishes, while -log D(G(z)) has the same
    fixed point and strong gradients there (Section 3). The minimax loss is an option. Adam replaces the
    paper's SGD with momentum, with the settings that Radford et al. 2015 found to train GANs stably.

    The Improved-GAN techniques of Salimans et al. 2016 are options of this game, so dcgan and cgan have them too.
    A conditional model hooks its labels into ``generator_input`` and ``discriminator_input``; the game is the same.
    Virtual batch norm replaces batch norm, and the MLP generator has none (nor has Goodfellow et al.'s): adding
    normalisation layers would make it another network than the paper's, so gan refuses the option there in one line.
    By default the players are convolutional networks, since the paper's MLPs collapse onto one MNIST digit; the MLPs
    are ``--preset paper``.
    """

    name = "gan"
    summary = ("generative adversarial net: minimax or non-saturating loss; conv networks by default, the MLPs with "
               "--preset paper")
    paper = "Goodfellow et al. 2014, Generative Adversarial Nets"
    departures: ClassVar[tuple[str, ...]] = (
        "G minimises the non-saturating -log D(G(z)) by default, the paper's own advice in Section 3; minimax, its "
        "value function, is an option",
        "ReLU and LeakyReLU MLPs with Adam (2e-4, beta1 0.5) in place of maxout networks with SGD and momentum, so "
        "that one optimiser setting serves the whole GAN family",
        "the Improved-GAN techniques of Salimans et al. 2016 are options, off by default",
        "the players are the DCGAN networks at half width by default: the MLPs of 4 layers of 512 units (Arjovsky et "
        "al. 2017, Figure 6) collapse onto one MNIST digit (benchmark gan_modes) and are --preset paper",
    )
    Config: ClassVar[type] = GANConfig
    # batch and Adam as dcgan (Radford et al. 2015, Section 4); 8 epochs: the gan_family dcgan at this width reached a
    # validation FD of 1.6 at step 3,179 of 4,680, in 94 s an epoch on 2 cores
    train_defaults = {"batch_size": 128, "epochs": 8}
    presets = {"paper": {"model": {"architecture": "mlp"}}}
    earlier_defaults = {"architecture": "mlp"}   # runs saved before the conv players were the MLPs

    def __init__(self, cfg: MinimaxGameConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        self.generator, self.discriminator = self.networks()
        if cfg.virtual_batch_norm:
            n = cfg.reference_batch_size
            reference = self.generator_input(self.noise(n), self.cycled_labels(n))
            self.generator = with_virtual_batch_norm(self.generator, reference)
        if cfg.historical_averaging:
            self.history = nn.ModuleDict({"discriminator": HistoricalAverage(self.discriminator),
                                          "generator": HistoricalAverage(self.generator)})
        betas = (cfg.beta1, 0.999)
        self.optimizers = {
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=cfg.lr, betas=betas,
                                              fused=True),
            "generator": torch.optim.Adam(self.generator.parameters(), lr=cfg.lr, betas=betas, fused=True),
        }
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))   # generator updates, for the decay

    @classmethod
    def resolve(cls, cfg: Any, binarized: bool) -> Any:   # cfg: the class's own Config
        if cfg.virtual_batch_norm and not cls.generator_has_batch_norm(cfg):
            raise GenzooError(f"model.virtual_batch_norm=true replaces the generator's batch norm, and the {cls.name} "
                              "MLP generator has none: use model.architecture=conv")
        return cfg

    @classmethod
    def generator_has_batch_norm(cls, cfg: Any) -> bool:   # cfg: the class's own Config
        """Whether G has batch-norm layers for virtual batch norm to replace."""
        return isinstance(cfg, GANConfig) and cfg.architecture == "conv"

    @property
    def minibatch_discrimination(self) -> tuple[int, int] | None:
        """(B, C) of minibatch discrimination in D, or None when it is off."""
        return (self.cfg.minibatch_kernels, self.cfg.minibatch_kernel_dims) if self.cfg.minibatch_kernels else None

    def networks(self) -> tuple[nn.Module, Discriminator]:
        """The generator and the discriminator, which outputs a logit."""
        if self.cfg.architecture == "conv":
            return conv_networks(self.cfg.latent_dim, self.image_shape, self.cfg.generator_width,
                                 self.cfg.discriminator_width, minibatch=self.minibatch_discrimination)
        return mlp_networks(self.cfg.latent_dim, self.image_shape, self.cfg.generator_hidden,
                            self.cfg.discriminator_hidden, self.minibatch_discrimination)

    def cycled_labels(self, n: int) -> Tensor | None:
        """Labels 0, 1, ..., K - 1, 0, 1, ... for n samples of a conditional model; None for an unconditional one."""
        return torch.arange(n, device=self.device) % self.num_classes if self.conditional else None

    def discriminator_input(self, x: Tensor, labels: Tensor | None) -> Tensor:
        """What the discriminator network is given: images in [-1, 1]; a conditional model adds the labels."""
        return x

    def discriminate(self, x: Tensor, labels: Tensor | None) -> Tensor:
        """D's logit of images in [-1, 1] (given their labels, for a conditional model)."""
        return self.discriminator(self.discriminator_input(x, labels))

    def features(self, x: Tensor, labels: Tensor | None) -> Tensor:
        """f(x), D's last hidden layer, (N, features)."""
        return self.discriminator.features(self.discriminator_input(x, labels))

    def with_history(self, player: str, loss: Tensor) -> tuple[Tensor, dict[str, float]]:
        """``loss`` plus historical_averaging * ||theta - (1/t) sum_i theta[i]||^2 for the player's network, its
        current parameters counted among the past ones first (Salimans et al. 2016, Section 3.3), and that distance
        as a scalar to log; ``loss`` alone when the option is off."""
        if not self.cfg.historical_averaging:
            return loss, {}
        history = cast(HistoricalAverage, self.history[player])
        history.record()
        distance = history.distance()
        return loss + self.cfg.historical_averaging * distance, {f"{player}_history_distance": distance.item()}

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One discriminator update, then one generator update on the same fakes (Algorithm 1, k = 1). A conditional
        model's fakes are asked for the labels of the real batch."""
        self.decay_over_the_run()
        fake = self.generate(self.noise(len(x)), y)
        d_scalars = self.discriminator_step(x, y, fake.detach())
        g_scalars = self.generator_step(x, y, fake)
        return {"d_loss": d_scalars.pop("d_loss"), "g_loss": g_scalars.pop("g_loss"), **d_scalars, **g_scalars}

    def discriminator_step(self, x: Tensor, y: Tensor, fake: Tensor | None = None) -> dict[str, float]:
        """One update of D on real images x in [0, 1] against ``fake`` in [-1, 1] (fresh fakes when None): the inner
        step of Algorithm 1. Returns its loss and D's mean probabilities of real on both."""
        if fake is None:
            with torch.no_grad():
                fake = self.generate(self.noise(len(x)), y)
        d_real, d_fake = self.discriminate(to_symmetric(x), y), self.discriminate(fake, y)
        d_loss = discriminator_loss(d_real, d_fake, self.cfg.real_label)
        d_objective, d_history = self.with_history("discriminator", d_loss)
        self._update("discriminator", d_objective)
        return {"d_loss": d_loss.item(), "d_real": torch.sigmoid(d_real).mean().item(),
                "d_fake": torch.sigmoid(d_fake).mean().item(), **d_history}

    def generator_step(self, x: Tensor, y: Tensor, fake: Tensor | None = None) -> dict[str, float]:
        """One update of G through ``fake`` = G(z) (fresh fakes when None), the outer step of Algorithm 1. Under
        feature matching G's loss, g_loss, is the distance between D's mean features of the real batch x and of the
        fakes."""
        if fake is None:
            fake = self.generate(self.noise(len(x)), y)
        if self.cfg.feature_matching:
            with torch.no_grad():
                real_features = self.features(to_symmetric(x), y)
            g_loss = feature_matching_loss(real_features, self.features(fake, y))
        else:
            g_loss = generator_loss(self.discriminate(fake, y), self.cfg.generator_loss)
        g_objective, g_history = self.with_history("generator", g_loss)
        self._update("generator", g_objective)
        self.updates += 1
        scalars = {"g_loss": g_loss.item()}
        if self.cfg.feature_matching:
            scalars["feature_distance"] = g_loss.item()
        return {**scalars, **g_history}

    @torch.no_grad()
    def discriminator_value(self, x: Tensor) -> Tensor:
        """D's probability that each image x in [0, 1] is real, (n,)."""
        return torch.sigmoid(self.discriminate(to_symmetric(x), None)).flatten()
