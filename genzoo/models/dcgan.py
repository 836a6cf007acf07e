"""Deep convolutional GAN (Radford et al. 2015): the game of Goodfellow et al. 2014 played by convolutional networks."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from genzoo.config import option
from genzoo.models.adversarial import conv_networks
from genzoo.models.gan import GAN, MinimaxGameConfig
from genzoo.nn.discriminator import Discriminator


@dataclass
class DCGANConfig(MinimaxGameConfig):
    generator_width: int = option(64, "channels of the generator's last hidden layer, doubled per stage", low=1)
    discriminator_width: int = option(64, "channels of the discriminator's first layer, doubled per stage", low=1)


class DCGAN(GAN):
    """The gan's training, with the DCGAN generator and discriminator (Radford et al. 2015, Section 3)."""

    name = "dcgan"
    summary = "deep convolutional GAN: batch norm, strided convolutions, ReLU in G, LeakyReLU in D"
    paper = "Radford, Metz & Chintala 2015, Unsupervised Representation Learning with Deep Convolutional GANs"
    departures = (
        "networks sized for 28x28 images (and folder images of 8 to 64 pixels), where the paper draws 64x64",
    )
    Config = DCGANConfig
    # batch: Radford et al. 2015, Section 4; 5 epochs: the dcgan_mnist benchmark, 701 s on 2 cores, FD 1.58 and recall
    # 0.77 by 'genzoo eval' (eval_dcgan_mnist)
    train_defaults = {"batch_size": 128, "epochs": 5}
    presets = {}   # its defaults are the paper's networks
    earlier_defaults = {}

    @classmethod
    def generator_has_batch_norm(cls, cfg: DCGANConfig) -> bool:
        return True

    def networks(self) -> tuple[nn.Module, Discriminator]:
        return conv_networks(self.cfg.latent_dim, self.image_shape, self.cfg.generator_width,
                             self.cfg.discriminator_width, minibatch=self.minibatch_discrimination)
