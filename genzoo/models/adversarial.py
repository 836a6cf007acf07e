"""What every GAN shares: noise z, a generator whose tanh output is an image, the second network it plays
against, one optimizer step per player, and the MLP or DCGAN networks of both, the second one a Discriminator
(a body and a head) and optionally with minibatch discrimination."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from genzoo.data.preprocess import to_unit
from genzoo.devices import normal, uniform
from genzoo.models.base import GenerativeModel
from genzoo.nn.conv import Reshape, conv_decoder, conv_encoder, init_dcgan_weights, mlp
from genzoo.nn.discriminator import Discriminator

NOISE = ("uniform", "normal")


class AdversarialModel(GenerativeModel):
    """A generator G(z) with images tanh(G(z)) in [-1, 1]; a subclass builds it and its opponent, names their
    optimizers and plays the game in ``train_step``. Its config has ``latent_dim`` and ``noise``."""

    mixed_precision = True
    generator: nn.Module
    updates: Tensor   # a buffer each game registers: its updates so far

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n draws of z from p(z): uniform on [-1, 1]^latent_dim or standard normal, as the config says."""
        if self.cfg.noise == "uniform":
            return uniform((n, self.cfg.latent_dim), self.device, generator) * 2 - 1
        return normal((n, self.cfg.latent_dim), self.device, generator)

    def generator_input(self, z: Tensor, labels: Tensor | None) -> Tensor:
        """What the generator network is given: z; a conditional model adds the labels (its hook)."""
        return z

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images in [-1, 1], the range the networks see real images in."""
        return torch.tanh(self.generator(self.generator_input(z, labels)))

    def decay_learning_rates(self, names: tuple[str, ...], done: int, length: int) -> None:
        """Sets each named optimizer's learning rate to (1 - done / length) of its initial one before update ``done``
        of ``length``: the linear decay to 0 of Gulrajani et al. 2017's reference code, a smooth form of StackGAN's
        halving every 100 epochs (Zhang et al. 2016, Section 4). The initial rate stays in the optimizer's state
        (``initial_lr``, as torch's schedulers keep it), so a resumed run goes on from the same one."""
        for name in names:
            for group in self.optimizers[name].param_groups:
                group.setdefault("initial_lr", group["lr"])
                group["lr"] = group["initial_lr"] * max(0.0, 1.0 - done / length)

    def decay_over_the_run(self) -> None:
        """Before an update, with the config's ``lr_decay``: every optimizer's rate decayed linearly over the whole run,
        at the update the model's ``updates`` buffer counts (the checkpoint keeps it, so a resumed run agrees)."""
        if self.cfg.lr_decay:
            self.decay_learning_rates(tuple(self.optimizers), int(self.updates), self.run_length())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        return to_unit(self.generate(self.noise(n, generator), labels))


def mlp_networks(latent_dim: int, image_shape: tuple[int, int, int], generator_hidden: tuple[int, ...],
                 discriminator_hidden: tuple[int, ...],
                 minibatch: tuple[int, int] | None = None) -> tuple[nn.Module, Discriminator]:
    """G: z through ReLU layers to the flattened image; D: the flattened image through LeakyReLU layers (slope
    0.01) to one logit or score. ReLU in G as in Arjovsky et al. 2017's MLP (Figure 6); a leaky rectifier in D in
    place of Goodfellow et al. 2014's maxout, as Radford et al. 2015 (Section 3) found it works well there.
    ``minibatch`` = (B, C) puts minibatch discrimination before D's head (Salimans et al. 2016, Section 3.2)."""
    pixels = math.prod(image_shape)
    generator = nn.Sequential(mlp((latent_dim, *generator_hidden, pixels), "relu"), Reshape(*image_shape))
    discriminator = Discriminator(nn.Flatten(), mlp((pixels, *discriminator_hidden, 1), "leaky_relu"))
    if minibatch:
        discriminator = discriminator.with_minibatch_discrimination(*minibatch)
    return generator, discriminator


def conv_networks(latent_dim: int, image_shape: tuple[int, int, int], generator_width: int,
                  discriminator_width: int, discriminator_batch_norm: bool = True, label_dim: int = 0,
                  minibatch: tuple[int, int] | None = None) -> tuple[nn.Module, Discriminator]:
    """The DCGAN generator (batch norm) and discriminator with one output, initialised as in Radford et al. 2015.
    With ``label_dim`` K, G takes a K-vector beside z and D K maps beside the image's channels (a conditional GAN's
    one-hot label); ``minibatch`` = (B, C) puts minibatch discrimination before D's head (Salimans et al. 2016)."""
    c, size, _ = image_shape
    generator = conv_decoder(latent_dim + label_dim, c, size, generator_width, batch_norm=True)
    discriminator = Discriminator(*conv_encoder(c + label_dim, size, discriminator_width, 1,
                                                batch_norm=discriminator_batch_norm))
    if minibatch:
        discriminator = discriminator.with_minibatch_discrimination(*minibatch)
    init_dcgan_weights(generator)
    init_dcgan_weights(discriminator)
    return generator, discriminator
