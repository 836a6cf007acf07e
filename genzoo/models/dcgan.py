"""Deep convolutional GAN (Radford et al. 2015) trained with the non-saturating loss of Goodfellow et al. 2014."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from genzoo.config import option
from genzoo.data.preprocess import to_symmetric, to_unit
from genzoo.models.base import GenerativeModel
from genzoo.nn.conv import conv_decoder, conv_encoder, init_dcgan_weights


@dataclass
class DCGANConfig:
    latent_dim: int = option(100, "dimension of z (Radford et al. 2015, Figure 1)", low=1)
    noise: str = option("uniform", "distribution of z: uniform on [-1, 1] as in the paper, or normal",
                        choices=("uniform", "normal"))
    generator_width: int = option(64, "channels of the generator's last hidden layer, doubled per stage", low=1)
    discriminator_width: int = option(64, "channels of the discriminator's first layer, doubled per stage", low=1)
    lr: float = option(2e-4, "Adam learning rate for both networks (Radford et al. 2015, Section 4)", low=0.0)
    beta1: float = option(0.5, "Adam beta1 (Radford et al. 2015, Section 4)", low=0.0, high=1.0)


class DCGAN(GenerativeModel):
    """Generator G(z) and discriminator D(x) playing the minimax game of Goodfellow et al. 2014, eq. 1."""

    name = "dcgan"
    summary = "deep convolutional GAN: batch norm, strided convolutions, ReLU in G, LeakyReLU in D"
    Config = DCGANConfig
    train_defaults = {"batch_size": 128}  # Radford et al. 2015, Section 4

    def __init__(self, cfg: DCGANConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        c, size, _ = self.image_shape
        self.generator = conv_decoder(cfg.latent_dim, c, size, cfg.generator_width, batch_norm=True)
        self.discriminator = conv_encoder(c, size, cfg.discriminator_width, 1, batch_norm=True)
        init_dcgan_weights(self)
        betas = (cfg.beta1, 0.999)
        self.optimizers = {
            "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=cfg.lr, betas=betas),
            "generator": torch.optim.Adam(self.generator.parameters(), lr=cfg.lr, betas=betas),
        }

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        if self.cfg.noise == "uniform":
            return torch.rand(n, self.cfg.latent_dim, generator=generator) * 2 - 1
        return torch.randn(n, self.cfg.latent_dim, generator=generator)

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One discriminator update, then one generator update on the same fakes (Algorithm 1, k = 1)."""
        real = to_symmetric(x)
        fake = torch.tanh(self.generator(self.noise(len(x))))

        d_real, d_fake = self.discriminator(real), self.discriminator(fake.detach())
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        self._update("discriminator", d_loss)

        d_on_fake = self.discriminator(fake)
        g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))
        self._update("generator", g_loss)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": torch.sigmoid(d_real).mean().item(), "d_fake": torch.sigmoid(d_fake).mean().item()}

    def _update(self, name: str, loss: Tensor) -> None:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        return to_unit(torch.tanh(self.generator(self.noise(n, generator))))
