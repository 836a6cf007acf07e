"""The generative adversarial net of Goodfellow et al. 2014 with MLP networks, and the options of its game."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genzoo.config import option
from genzoo.data.preprocess import to_symmetric
from genzoo.models.adversarial import NOISE, AdversarialModel, mlp_networks
from genzoo.nn.gan_losses import GENERATOR_LOSSES, discriminator_loss, generator_loss


@dataclass
class MinimaxGameConfig:
    """What every model playing the game of Goodfellow et al. 2014 shares (gan, dcgan): z, the losses, Adam."""

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


@dataclass
class GANConfig(MinimaxGameConfig):
    generator_hidden: tuple[int, ...] = option((512, 512, 512), "G's hidden ReLU layers (Arjovsky et al. 2017, "
                                               "Figure 6: an MLP of 4 layers of 512 units)", low=1)
    discriminator_hidden: tuple[int, ...] = option((512, 512, 512), "D's hidden LeakyReLU layers", low=1)


class GAN(AdversarialModel):
    """Generator G(z) and discriminator D(x) playing the minimax game of Goodfellow et al. 2014, eq. 1.

    G minimises the non-saturating -log D(G(z)) by default: early in training D rejects the fakes with
    confidence, log(1 - D(G(z))) saturates and its gradient vanishes, while -log D(G(z)) has the same
    fixed point and strong gradients there (Section 3). The minimax loss is an option. Adam replaces the
    paper's SGD with momentum, with the settings that Radford et al. 2015 found to train GANs stably.
    """

    name = "gan"
    summary = "generative adversarial net: MLP generator and discriminator, minimax or non-saturating loss"
    Config = GANConfig
    train_defaults = {"batch_size": 128}  # as dcgan, with the same Adam (Radford et al. 2015, Section 4)

    def __init__(self, cfg: MinimaxGameConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        self.generator, self.discriminator = self.networks()
        betas = (cfg.beta1, 0.999)
        self.optimizers = {
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=cfg.lr, betas=betas),
            "generator": torch.optim.Adam(self.generator.parameters(), lr=cfg.lr, betas=betas),
        }

    def networks(self) -> tuple[nn.Module, nn.Module]:
        """The generator and the discriminator, which outputs a logit."""
        return mlp_networks(self.cfg.latent_dim, self.image_shape, self.cfg.generator_hidden,
                            self.cfg.discriminator_hidden)

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One discriminator update, then one generator update on the same fakes (Algorithm 1, k = 1)."""
        fake = self.generate(self.noise(len(x)))
        d_real, d_fake = self.discriminator(to_symmetric(x)), self.discriminator(fake.detach())
        d_loss = discriminator_loss(d_real, d_fake, self.cfg.real_label)
        self._update("discriminator", d_loss)

        g_loss = generator_loss(self.discriminator(fake), self.cfg.generator_loss)
        self._update("generator", g_loss)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": torch.sigmoid(d_real).mean().item(), "d_fake": torch.sigmoid(d_fake).mean().item()}
