"""The interface every model shares with the training loop, the CLI and the evaluation suite."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor, nn

from genzoo.config import option
from genzoo.errors import GenzooError
from genzoo.likelihood.estimate import Estimate
from genzoo.precision import outside_autocast

if TYPE_CHECKING:
    from genzoo.data import Dataset, ImageSet


class GenerativeModel(nn.Module):
    """A generative model built from its config and the shape of its data.

    It owns its optimizers (a GAN has two, an RBM none that autograd drives), takes one training
    step on a batch of images in [0, 1], and samples images in [0, 1]. The loop checkpoints
    ``state_dict()`` and ``optimizers`` without knowing the family.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    paper: ClassVar[str]                        # the paper (and equations) the model follows, for docs/models.md
    departures: ClassVar[tuple[str, ...]] = ()  # where genzoo departs from that paper, and why
    Config: ClassVar[type]
    # the loop's settings for this model: its paper's batch size, and epochs chosen so that 'genzoo train NAME --data
    # mnist' ends within 15 minutes on 2 CPU cores with good samples (the defaults benchmark checks them)
    train_defaults: ClassVar[dict[str, Any]] = {}
    # named settings {section: {key: value}} laid over the defaults by 'genzoo train --preset NAME'; "paper" keeps the
    # paper's settings where the defaults leave them
    presets: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    binarization: ClassVar[str] = "none"       # data.binarize unless a run sets it: fixed for models of binary units
    # options added since runs were first saved, with the value those runs trained with, for reopening them
    earlier_defaults: ClassVar[dict[str, Any]] = {}
    conditional: ClassVar[bool] = False       # samples of a class label asked for (sample --label)
    text_conditioned: ClassVar[bool] = False  # samples of a caption asked for (sample --text)
    fine_tunable: ClassVar[bool] = True       # a new run can start from its trained weights (train --init)
    # the budget of the quick log-likelihood estimate beside a reconstruction ('genzoo serve'): a fraction of a second
    quick_budget: ClassVar[dict[str, int]] = {}

    def __init__(self, cfg: Any, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__()
        self.cfg = cfg
        channels, height, width = image_shape   # a list, when read back from a checkpoint's record
        self.image_shape = (channels, height, width)
        self.num_classes = num_classes
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.total_steps: int | None = None   # the run's length, set by the loop, for schedules
        self.run_config: Any = None           # the config of the run it was loaded from (genzoo.load), if any

    @property
    def device(self) -> torch.device:
        """Where the model's parameters live: its noise is drawn there and its inputs are moved there."""
        return next(self.parameters()).device

    @classmethod
    def resolve(cls, cfg: Any, binarized: bool) -> Any:
        """The config with any data-dependent 'auto' choices made concrete; saved with the run."""
        return cfg

    @classmethod
    def default_binarization(cls, cfg: Any) -> str:
        """The data.binarize a run of this model gets when it sets none."""
        return cls.binarization

    @classmethod
    def preset(cls, name: str | None) -> dict[str, dict[str, Any]]:
        """The settings of preset ``name`` ({} for None or 'default'); a one-line error naming the ones there are."""
        if name in (None, "default"):
            return {}
        if name not in cls.presets:
            known = (f"the presets {', '.join(['default', *cls.presets])}" if cls.presets
                     else "no preset but its defaults")
            raise GenzooError(f"--preset {name}: the {cls.name} model has {known}")
        return cls.presets[name]

    @classmethod
    def check_data(cls, dataset: Dataset) -> None:
        """A one-line GenzooError if this model cannot learn from ``dataset``, before any work: a conditional model
        takes one class label per image, which mnist-captions, with the content of each of its cells, has not."""
        if cls.conditional and dataset.train.labels.dim() != 1:
            hint = "; stackgan learns from its captions" if dataset.train.captions is not None else ""
            raise GenzooError(f"{cls.name} is conditioned on one class label per image, and {dataset.name} has "
                              f"{dataset.train.labels.shape[1]} per image: train it on a dataset of one label per "
                              f"image, such as mnist{hint}")

    def prepare(self, dataset: Dataset, seed: int) -> ImageSet:
        """Called by the loop once before the first step of a fresh or resumed run (after the checkpoint is restored),
        with the run's seed: what the model derives from the data is done here (StackGAN trains its text encoder in a
        fresh run and embeds the training captions). Returns the split the loop draws batches (x, y) from: the
        training split, or the same images with the y that ``train_step`` needs of each (StackGAN: its index)."""
        return dataset.train

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One update on a batch; returns the scalars it measured, all finite unless training diverged."""
        raise NotImplementedError

    def monitoring_scalars(self) -> dict[str, float]:
        """Scalars of the last ``train_step`` that cost work the step itself does not need (a Boltzmann machine's
        reconstruction error and free energies), at the parameters it left; the loop asks for them only on the steps
        it logs. They draw no random numbers, so how often they are asked for does not change training. Empty by
        default."""
        return {}

    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """n images (n, C, H, W) in [0, 1]; ``generator`` fixes the noise without touching the global RNG."""
        raise NotImplementedError

    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate | None:
        """Test log-likelihood of ``images`` in nats with its standard error, exact, a bound or an estimate (the
        Estimate's method says which), within ``budget`` (e.g. k, betas, chains); None if the model defines none."""
        return None

    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """Pictures beyond the sample grid that show how the model works, as {name: (images, columns)};
        the loop writes them beside the final grid. None by default."""
        return {}

    @classmethod
    def capabilities(cls) -> frozenset[str]:
        """What the model can do beyond sampling, read from the members it defines, so that the explorer's panels
        follow the model and not its name: 'latent' (it decodes a vector z alone: ``noise`` and ``generate``), 'label'
        (``conditional``), 'text' (``text_conditioned``), 'codes' (``decode_codes``), 'gibbs' (``pixel_sweep``),
        'reconstruct' (``reconstruct``), 'two_players' (``discriminator_step`` and ``generator_step``)."""
        defines = {name: callable(getattr(cls, name, None)) and getattr(cls, name) is not getattr(GenerativeModel,
                                                                                                     name, None)
                   for name in ("noise", "generate", "decode_codes", "pixel_sweep", "reconstruct",
                                "discriminator_step", "generator_step")}
        found = {"label"} if cls.conditional else set()
        if cls.text_conditioned:
            found.add("text")
        if defines["noise"] and defines["generate"] and not (cls.conditional or cls.text_conditioned):
            found.add("latent")
        for capability, member in (("codes", "decode_codes"), ("gibbs", "pixel_sweep"),
                                   ("reconstruct", "reconstruct")):
            if defines[member]:
                found.add(capability)
        if defines["discriminator_step"] and defines["generator_step"]:
            found.add("two_players")
        return frozenset(found)

    def decode_codes(self, n: int, generator: torch.Generator, codes: dict[int, float]) -> Tensor:
        """n images in [0, 1] of n draws of the latent with code number c (InfoGAN's c1, c2, ... counted from 0) set
        to ``codes[c]``: a category, or a continuous value; a model with interpretable codes defines it."""
        raise NotImplementedError

    def pixel_sweep(self, v: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """One Gibbs sweep from binary pixels v (n, pixels) back to the pixels: (a binary state, its mean); a model
        that samples by Gibbs chains defines it, and ``genzoo.nn.clamped_gibbs`` clamps pixels around it."""
        raise NotImplementedError

    def reconstruct(self, images: Tensor) -> Tensor:
        """The model's reconstruction of images (n, C, H, W) in [0, 1], through its posterior or hidden units; a
        model with an inference network or a tractable posterior defines it."""
        raise NotImplementedError

    def phase(self) -> str | None:
        """The stage of training the next step belongs to (a DBN's layer, a DBM's pretraining), for the progress bar
        and the logs; derived from state the checkpoint holds, so a resumed run continues in the right phase."""
        return None

    def run_length(self) -> int:
        """The run's length in steps, for a model whose phases are shares of it; a one-line error outside the loop."""
        if self.total_steps is None:
            raise GenzooError(f"a {self.name} trains in phases of the run and needs its length: train it with "
                              "'genzoo train' (or set the model's total_steps attribute)")
        return self.total_steps

    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """Scalars worth tracking on held-out data, averaged over the batch; none by default."""
        return {}

    # trained by autograd: train.precision may run its forward passes under autocast (genzoo.precision)
    mixed_precision: ClassVar[bool] = False
    grad_scaler: torch.amp.GradScaler | None = None   # set for train.precision=16-mixed

    def _update(self, name: str, loss: Tensor) -> None:
        """One step of the optimizer ``name`` down the gradient of ``loss``, the backward pass outside autocast; under
        16-mixed through the gradient scaler (the loss scaled, the step skipped where the gradients overflowed)."""
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        with outside_autocast(self.device):
            if self.grad_scaler is None:
                loss.backward()
                opt.step()
            else:
                self.grad_scaler.scale(loss).backward()
                self.grad_scaler.step(opt)
                self.grad_scaler.update()


class GibbsChainModel(GenerativeModel):
    """A model that samples by running Gibbs chains (rbm, dbm): its samples are a chain's last snapshot, and its
    figure ten chains side by side; it provides ``gibbs_chain(n, snapshots, every, generator)``."""

    def gibbs_chain(self, n: int, snapshots: int, every: int, generator: torch.Generator | None = None) -> Tensor:
        """(snapshots, n, C, H, W): E[v | h] of n chains every ``every`` sweeps."""
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """E[v | h] after ``sample_steps`` Gibbs sweeps of n independent chains."""
        return self.gibbs_chain(n, 1, self.cfg.sample_steps, generator)[0]

    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """Ten Gibbs chains, one per row, E[v | h] every sample_steps / 10 sweeps."""
        frames = self.gibbs_chain(10, 10, max(1, self.cfg.sample_steps // 10), generator)
        return {"gibbs_chain": (frames.transpose(0, 1).flatten(0, 1), 10)}


@dataclass
class LayerwiseConfig:
    """The options of a model trained layer by layer (a LayerwiseModel)."""

    layer_shares: tuple[float, ...] = option((), "relative share of the layer-by-layer updates for each layer, bottom "
                                             "to top (e.g. [2,1]: the bottom layer twice the top's); empty: equal "
                                             "shares", low=0.0)


class LayerwiseModel(GenerativeModel):
    """A model trained layer by layer first, each layer for its share (``layer_shares``) of the first
    ``layerwise_steps()`` updates, then as a whole (a DBN's up-down fine-tuning, a DBM's joint training). It counts
    its ``updates`` in a buffer, so a resumed run continues in the phase it stopped in."""

    updates: Tensor
    fine_tunable = False   # its phases are shares of one run: a snapshot cannot start another

    @classmethod
    def resolve(cls, cfg: Any, binarized: bool) -> Any:
        require_binarized(cls.name, binarized)
        if len(cfg.layers) < 2:
            raise GenzooError(f"a {cls.name} needs at least two hidden layers (e.g. --set model.layers="
                              f"{list(cls.Config().layers)}); one is the rbm model")
        if cfg.layer_shares and (len(cfg.layer_shares) != len(cfg.layers) or min(cfg.layer_shares) <= 0):
            raise GenzooError(f"model.layer_shares={list(cfg.layer_shares)} needs one positive share per layer of "
                              f"model.layers={list(cfg.layers)}, e.g. {[1] * len(cfg.layers)}")
        return cfg

    def layerwise_steps(self) -> int:
        """Updates of the run given to the layer-by-layer phases; ``self.total_steps`` is known when this is asked."""
        raise NotImplementedError

    def phase_bounds(self) -> list[int]:
        """The update at which each layer's phase starts, then the start of the whole-model phase, then the total."""
        shares = self.cfg.layer_shares or (1,) * len(self.cfg.layers)
        layerwise = self.layerwise_steps()
        inner = [int(layerwise * done // sum(shares)) for done in accumulate(shares[:-1])]
        return [0, *inner, layerwise, self.run_length()]   # the last layer ends exactly there, whatever the rounding

    def phase_index(self) -> int:
        """0 .. L-1: layer i + 1 on its own; L: the whole model."""
        bounds = self.phase_bounds()
        return max(i for i in range(len(bounds) - 1) if self.updates >= bounds[i])


def require_binarized(model: str, binarized: bool) -> None:
    """The one-line error for a model of binary units (rbm, dbn, dbm, helmholtz) asked to train on grey images."""
    if not binarized:
        raise GenzooError(f"the {model} models binary images: drop data.binarize=none (the default binarizes them "
                          "once, fixed) or set it to dynamic")


def prefixed(prefix: str, scalars: dict[str, float]) -> dict[str, float]:
    """Scalars renamed ``prefix_name``, so that each phase or part of a model logs under its own names."""
    return {f"{prefix}_{key}": value for key, value in scalars.items()}
