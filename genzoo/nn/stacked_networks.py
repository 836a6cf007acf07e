"""The networks of StackGAN's two stages (Zhang et al. 2016, Figure 2) that the DCGAN stacks do not already give: the
text-conditioned discriminator both stages use and the Stage-II generator that refines a Stage-I image.

The Stage-I generator is the DCGAN generator (:func:`genzoo.nn.conv.conv_decoder`) given z beside the condition c.
Upsampling is the DCGAN's transposed convolution rather than the paper's nearest-neighbour upsampling and 3x3
convolution, which costs 9/4 as many multiplications per output pixel: on a CPU budget the cheaper one is used.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from genzoo.errors import GenzooError
from genzoo.nn.conv import ResidualBlock, downsampling_layers, stages, upsampling_layers


def replicated(vectors: Tensor, maps: Tensor) -> Tensor:
    """``vectors`` (N, K) repeated over every position of ``maps`` (N, C, H, W) and stacked beside its channels."""
    return torch.cat([maps, vectors[:, :, None, None].expand(-1, -1, *maps.shape[2:])], dim=1)


class TextConditionedDiscriminator(nn.Module):
    """D(x, phi_t): the image down to 4x4 maps by the DCGAN discriminator's strided convolutions; phi_t compressed to
    ``text_dim`` by a fully connected layer and replicated over the 4x4 positions; the two concatenated, joined by a
    convolution, and a 4x4 convolution to one logit (Zhang et al. 2016, Figure 2 and the Stage-I GAN's
    discriminator; Reed et al. 2016, Section 4.1, inject the text the same way). The joining convolution is 3x3, as
    in the authors' code, where the paper says 1x1: zero-padded on a 4x4 map it also tells each position where it
    is, which a caption that says where each digit is needs.

    Beside the logit, an auxiliary classifier reads the image alone (Odena et al. 2017's AC-GAN; Dash et al. 2017's
    TAC-GAN for text): the 4x4 maps averaged over each of the canvas's ``grid`` x ``grid`` regions and a 1x1
    convolution to ``classes`` logits per region, what each region holds."""

    def __init__(self, channels: int, size: int, width: int, embedding_dim: int, text_dim: int, grid: int,
                 classes: int):
        super().__init__()
        base, n = stages(size)
        top = width * 2 ** (n - 1)
        self.image = nn.Sequential(*downsampling_layers(channels, size, width, batch_norm=True))
        self.text = nn.Sequential(nn.Linear(embedding_dim, text_dim), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(nn.Conv2d(top + text_dim, top, 3, 1, 1, bias=False), nn.BatchNorm2d(top),
                                   nn.LeakyReLU(0.2), nn.Conv2d(top, 1, base), nn.Flatten())
        self.contents = nn.Sequential(nn.AdaptiveAvgPool2d(grid), nn.Conv2d(top, classes, 1), nn.Flatten(2))

    def forward(self, images: Tensor, embeddings: Tensor) -> tuple[Tensor, Tensor]:
        """Logits (N, 1) of images in [-1, 1] given the embeddings of the text they are paired with, and the
        auxiliary classifier's logits (N, classes, grid * grid) of what each region holds, in row-major order."""
        maps = self.image(images)
        return self.joint(replicated(self.text(embeddings), maps)), self.contents(maps)


class RefinementGenerator(nn.Module):
    """G(s0, c) of Stage-II: the Stage-I image s0 encoded by a 3x3 convolution and a stride-2 one to maps of half its
    side; c replicated over them and joined by a 3x3 convolution; residual blocks; then the DCGAN generator's
    transposed convolutions up to ``size`` (Zhang et al. 2016, the Stage-II GAN and Figure 2). There is no z: s0
    carries the randomness. Unbounded output, as :func:`genzoo.nn.conv.conv_decoder`'s."""

    def __init__(self, channels: int, stage1_size: int, size: int, width: int, condition_dim: int,
                 residual_blocks: int):
        super().__init__()
        if size not in (2 * stage1_size, 4 * stage1_size):
            raise GenzooError(f"Stage-II refines {stage1_size}x{stage1_size} images to two or four times their side, "
                              f"not to {size}x{size}: set model.stage1_size to {size // 4} or {size // 2}")
        doublings = round(math.log2(2 * size // stage1_size))
        top = width * 2 ** (doublings - 1)
        self.encoder = nn.Sequential(nn.Conv2d(channels, top // 2, 3, 1, 1), nn.ReLU(),
                                     nn.Conv2d(top // 2, top, 4, 2, 1, bias=False), nn.BatchNorm2d(top), nn.ReLU())
        self.joint = nn.Sequential(nn.Conv2d(top + condition_dim, top, 3, 1, 1, bias=False), nn.BatchNorm2d(top),
                                   nn.ReLU())
        self.residual = nn.Sequential(*(ResidualBlock(top) for _ in range(residual_blocks)))
        self.decoder = nn.Sequential(*upsampling_layers(width, doublings, channels, batch_norm=True))

    def start_from_the_sketch(self) -> None:
        """Zero the last layer, so that the output starts at 0 everywhere: added to the enlarged Stage-I image, it
        leaves that image as it is until training teaches the network what to change. The layer's weights still get
        gradients, since its input is not zero."""
        for parameter in self.decoder[-1].parameters():   # its weight and bias
            nn.init.zeros_(parameter)

    def forward(self, stage1: Tensor, conditions: Tensor) -> Tensor:
        """Unbounded images (N, C, size, size) from Stage-I images in [-1, 1] and conditions (N, condition_dim)."""
        return self.decoder(self.residual(self.joint(replicated(conditions, self.encoder(stage1)))))
