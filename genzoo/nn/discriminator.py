"""A discriminator as a body and a head, D(x) = head(f(x)), for the Improved-GAN techniques that read D's last hidden
layer f(x): feature matching and minibatch discrimination (Salimans et al. 2016, Sections 3.1 and 3.2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from torch import Tensor, nn

from genzoo.nn.minibatch_discrimination import MinibatchDiscrimination


def layers_in_order(module: nn.Module) -> Iterator[nn.Module]:
    """The layers a Sequential runs, one after the other, with the Sequentials nested in it opened."""
    if isinstance(module, nn.Sequential):
        for child in module:
            yield from layers_in_order(child)
    else:
        yield module


class Discriminator(nn.Sequential):
    """A Sequential network whose head is its last layer with weights and what follows it, with the minibatch
    discrimination layer in front of that if it has one; the layers before the head are its body, whose output,
    flattened, is the feature vector f(x).

    The layers stay those of one Sequential, nested as the network was built, so that its parameters keep the names
    they had before the body and the head were told apart and checkpoints of those models still load.
    """

    def __init__(self, *layers: nn.Module):
        super().__init__(*layers)
        flat = list(layers_in_order(self))
        head = max(i for i, layer in enumerate(flat) if any(True for _ in layer.parameters()))
        if head > 0 and isinstance(flat[head - 1], MinibatchDiscrimination):
            head -= 1
        self.body_layers, self.head_layers = tuple(flat[:head]), tuple(flat[head:])

    def hidden(self, x: Tensor) -> Tensor:
        """The body's output: D's last hidden layer, as the head takes it."""
        for layer in self.body_layers:
            x = layer(x)
        return x

    def features(self, x: Tensor) -> Tensor:
        """f(x), (N, features): the last hidden layer flattened."""
        return self.hidden(x).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.hidden(x)
        for layer in self.head_layers:
            h = layer(h)
        return h

    def with_minibatch_discrimination(self, kernels: int, kernel_dims: int) -> Discriminator:
        """This body, then minibatch discrimination on f(x), then a new linear head on [f(x), o(x)] (Salimans et al.
        2016, Section 3.2). The head replaced maps the features to one output, so its weight has one entry per
        feature."""
        features = cast(Tensor, self.head_layers[0].weight)[0].numel()
        return Discriminator(*self.body_layers, MinibatchDiscrimination(features, kernels, kernel_dims),
                             nn.Linear(features + kernels, 1))
