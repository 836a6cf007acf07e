"""The DCGAN convolutional stacks (Radford et al. 2015, Section 3), shared by every convolutional model.

Strided convolutions instead of pooling, no fully connected hidden layers, batch norm everywhere but
the discriminator's input and the generator's output, ReLU going up and LeakyReLU(0.2) going down.
A VAE's encoder and decoder are the same stacks with another head and, by choice, no batch norm.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from genzoo.errors import GenzooError


def stages(size: int) -> tuple[int, int]:
    """(base side, number of 2x stages) such that base * 2**stages == size, base 4 or 7 (MNIST's 28)."""
    for base in (4, 7):
        n, rest = 0, size
        while rest > base and rest % 2 == 0:
            rest, n = rest // 2, n + 1
        if rest == base and n >= 1:
            return base, n
    raise GenzooError(f"image size {size} does not suit the convolutional networks: "
                      "use 8, 16, 28, 32 or 64 pixels (4 or 7 times a power of two)")


class Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], *self.shape)


def downsampling_layers(channels: int, size: int, width: int, batch_norm: bool) -> list[nn.Module]:
    """Images (N, C, size, size) to maps (N, width * 2**(n - 1), base, base), (base, n) = stages(size): the DCGAN
    discriminator's strided convolutions, LeakyReLU(0.2) after each, batch norm after all but the first."""
    _, n = stages(size)
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=True), nn.LeakyReLU(0.2)]
    for i in range(1, n):
        layers += [nn.Conv2d(width * 2 ** (i - 1), width * 2 ** i, 4, 2, 1, bias=not batch_norm)]
        layers += [nn.BatchNorm2d(width * 2 ** i)] if batch_norm else []
        layers += [nn.LeakyReLU(0.2)]
    return layers


def conv_encoder(channels: int, size: int, width: int, out_features: int, batch_norm: bool) -> nn.Sequential:
    """Images (N, C, size, size) to (N, out_features): the DCGAN discriminator body with a linear head."""
    base, n = stages(size)
    return nn.Sequential(*downsampling_layers(channels, size, width, batch_norm),
                         nn.Conv2d(width * 2 ** (n - 1), out_features, base, 1, 0), nn.Flatten())


def upsampling_layers(width: int, doublings: int, channels: int, batch_norm: bool) -> list[nn.Module]:
    """Maps (N, width * 2**(doublings - 1), s, s) to unbounded images (N, channels, s * 2**doublings, ...): the DCGAN
    generator's transposed convolutions, each halving the channels, with batch norm and ReLU before each."""
    layers: list[nn.Module] = []
    for i in reversed(range(doublings - 1)):
        layers += [nn.BatchNorm2d(width * 2 ** (i + 1))] if batch_norm else []
        layers += [nn.ReLU(), nn.ConvTranspose2d(width * 2 ** (i + 1), width * 2 ** i, 4, 2, 1, bias=not batch_norm)]
    layers += [nn.BatchNorm2d(width)] if batch_norm else []
    layers += [nn.ReLU(), nn.ConvTranspose2d(width, channels, 4, 2, 1)]
    return layers


def conv_decoder(latent_dim: int, channels: int, size: int, width: int, batch_norm: bool) -> nn.Sequential:
    """Vectors (N, latent_dim) to unbounded images (N, C, size, size): the DCGAN generator without its tanh.

    The first layer projects the vector to a base x base map, which is the paper's "project and
    reshape" written as a transposed convolution over a 1x1 input.
    """
    base, n = stages(size)
    return nn.Sequential(Reshape(latent_dim, 1, 1),
                         nn.ConvTranspose2d(latent_dim, width * 2 ** (n - 1), base, 1, 0, bias=not batch_norm),
                         *upsampling_layers(width, n, channels, batch_norm))


class ResidualBlock(nn.Module):
    """x + BN(conv(ReLU(BN(conv(x))))), then ReLU: two 3x3 convolutions that keep the channels and the size (He et
    al. 2016), the blocks of StackGAN's Stage-II generator (Zhang et al. 2016, Section 3.3)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(), nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(channels))

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.body(x))


def mlp(sizes: tuple[int, ...], activation: str) -> nn.Sequential:
    """Fully connected layers of the given sizes with the activation between them (none after the last)."""
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "softplus": nn.Softplus, "leaky_relu": nn.LeakyReLU}[activation]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def init_dcgan_weights(module: nn.Module) -> None:
    """Weights from N(0, 0.02) and batch-norm scales from N(1, 0.02) (Radford et al. 2015, Section 4)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
