"""Wasserstein GAN (Arjovsky et al. 2017): clipped critic, or gradient penalty instead (Gulrajani et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from genzoo.config import option
from genzoo.data.preprocess import to_symmetric
from genzoo.errors import GenzooError
from genzoo.models.adversarial import NOISE, AdversarialModel, conv_networks, mlp_networks
from genzoo.nn.wasserstein import clip_weights_, gradient_penalty, wasserstein_estimate


@dataclass
class WGANConfig:
    architecture: str = option("conv", "conv: the DCGAN networks (Arjovsky et al. 2017, Section 4); mlp: ReLU "
                               "layers in G, LeakyReLU in the critic", choices=("conv", "mlp"))
    latent_dim: int = option(100, "dimension of z", low=1)
    noise: str = option("normal", "distribution of z: normal, or uniform on [-1, 1]", choices=NOISE)
    hidden: tuple[int, ...] = option((512, 512, 512), "mlp: hidden layers of G and of the critic (Arjovsky et al. "
                                     "2017, Figure 6: an MLP of 4 layers of 512 units)", low=1)
    generator_width: int = option(32, "conv: channels of G's last hidden layer, doubled per stage (half DCGAN's; "
                                  "--preset paper: 64)", low=1)
    critic_width: int = option(32, "conv: channels of the critic's first layer, doubled per stage (half DCGAN's; "
                               "--preset paper: 64)", low=1)
    critic_steps: int = option(5, "critic updates per generator update (n_critic, Arjovsky et al. 2017, Algorithm 1)",
                               low=1)
    clip: float | None = option(0.01, "critic weights clipped to [-clip, clip] (Arjovsky et al. 2017, Algorithm 1); "
                                "null turns clipping off")
    gradient_penalty: float = option(0.0, "lambda of the gradient penalty (Gulrajani et al. 2017: 10); 0 for none; "
                                     "with a penalty the conv critic has no batch norm", low=0.0)
    optimizer: str = option("rmsprop", "rmsprop (Arjovsky et al. 2017) or adam (Gulrajani et al. 2017)",
                            choices=("rmsprop", "adam"))
    lr: float = option(5e-5, "learning rate of both networks (Arjovsky et al. 2017, Algorithm 1: 5e-5)", low=0.0)
    beta1: float = option(0.0, "Adam beta1 (Gulrajani et al. 2017, Algorithm 1: 0)", low=0.0, high=1.0)
    beta2: float = option(0.9, "Adam beta2 (Gulrajani et al. 2017, Algorithm 1: 0.9)", low=0.0, high=1.0)
    lr_decay: bool = option(False, "decay both learning rates linearly to 0 over the run, as Gulrajani et al. "
                            "2017's CIFAR-10 code does; false keeps them constant (Algorithm 1 of both papers)")


@dataclass
class WGANGPConfig(WGANConfig):
    clip: float | None = option(None, "critic weights clipped to [-clip, clip]; null (no clipping) in WGAN-GP")
    gradient_penalty: float = option(10.0, "lambda of the gradient penalty (Gulrajani et al. 2017, Algorithm 1: 10)",
                                     low=0.0)
    optimizer: str = option("adam", "adam (Gulrajani et al. 2017) or rmsprop (Arjovsky et al. 2017)",
                            choices=("rmsprop", "adam"))
    lr: float = option(1e-4, "learning rate of both networks (Gulrajani et al. 2017, Algorithm 1: 1e-4)", low=0.0)


class WGAN(AdversarialModel):
    """A critic f trained to maximise E[f(x)] - E[f(G(z))] over (roughly) 1-Lipschitz functions, and G to
    minimise -E[f(G(z))] (Arjovsky et al. 2017, Algorithm 1; Gulrajani et al. 2017, Algorithm 1).

    The loop hands over one batch per generator update; it is split into ``critic_steps`` parts, one per
    critic update, as the reference code draws a fresh batch of real images for each of them. So a pass
    over the data is n_critic critic batches per generator update, each image is seen once per epoch, and
    the paper's m = 64 images per critic batch is the default train.batch_size of 5 x 64. A batch that
    does not divide evenly gives parts that differ by one image; the generator's batch is the largest part.
    """

    name = "wgan"
    summary = "Wasserstein GAN: critic with weight clipping, RMSProp, n_critic critic steps per generator step"
    paper = "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN"
    departures: ClassVar[tuple[str, ...]] = (
        "each critic update takes its own part of the batch (train.batch_size 320 = 5 x 64), as the reference code "
        "draws fresh real images for each",
        "an optional linear learning-rate decay (lr_decay), as Gulrajani et al.'s CIFAR-10 code does",
        "the DCGAN networks at half width by default, so that a run of more generator updates fits a CPU budget; the "
        "paper's width is --preset paper",
    )
    Config: ClassVar[type] = WGANConfig
    # batch: n_critic x m = 5 x 64 (Arjovsky et al. 2017, Algorithm 1); 15 epochs: the gan_family wgan took 52 s an
    # epoch on 2 cores and its validation FD was still falling fast at 5 epochs (34; 10/10 digits)
    train_defaults = {"batch_size": 320, "epochs": 15}
    presets = {"paper": {"model": {"generator_width": 64, "critic_width": 64}}}

    def __init__(self, cfg: WGANConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        if cfg.architecture == "mlp":
            self.generator, self.critic = mlp_networks(cfg.latent_dim, self.image_shape, cfg.hidden, cfg.hidden)
        else:
            # a per-example penalty: no batch norm (Gulrajani et al. 2017, Section 4)
            penalised = cfg.gradient_penalty > 0
            self.generator, self.critic = conv_networks(cfg.latent_dim, self.image_shape, cfg.generator_width,
                                                        cfg.critic_width, discriminator_batch_norm=not penalised)
        self.optimizers = {"critic": self.optimizer(self.critic.parameters()),
                           "generator": self.optimizer(self.generator.parameters())}
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))   # generator updates, for the decay

    @classmethod
    def resolve(cls, cfg: WGANConfig, binarized: bool) -> WGANConfig:
        if cfg.clip is not None and cfg.clip <= 0:
            raise GenzooError(f"model.clip={cfg.clip} must be positive (the critic's weights stay in [-clip, clip]), "
                              "or null to turn clipping off")
        if cfg.clip is None and cfg.gradient_penalty == 0:
            raise GenzooError("model.clip=null with model.gradient_penalty=0 leaves the critic unconstrained: set "
                              "model.clip=0.01 (WGAN) or model.gradient_penalty=10 (WGAN-GP)")
        return cfg

    def optimizer(self, parameters) -> torch.optim.Optimizer:
        """RMSProp as in Arjovsky et al. 2017 (momentum-free, Section 3), or Adam as in Gulrajani et al. 2017."""
        if self.cfg.optimizer == "rmsprop":
            return torch.optim.RMSprop(parameters, lr=self.cfg.lr)
        return torch.optim.Adam(parameters, lr=self.cfg.lr, betas=(self.cfg.beta1, self.cfg.beta2), fused=True)

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """critic_steps critic updates, each on its part of the batch and fresh noise, then one generator update.
        The Wasserstein estimate reported is the last critic update's, measured before it."""
        cfg = self.cfg
        if len(x) < cfg.critic_steps:
            raise GenzooError(f"a batch of {len(x)} images cannot feed model.critic_steps={cfg.critic_steps} critic "
                              "updates: raise train.batch_size")
        self.decay_over_the_run()
        parts = x.tensor_split(cfg.critic_steps)
        for real in parts:
            critic = self.discriminator_step(real, y)
        return {"critic_loss": critic.pop("critic_loss"), "wasserstein_estimate": critic.pop("wasserstein_estimate"),
                **self.generator_step(parts[0], y), **critic}

    def discriminator_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One critic update on real images x in [0, 1] and as many fresh fakes, its weights clipped after it where
        the config clips; the Wasserstein estimate is measured before the update."""
        real = to_symmetric(x)
        with torch.no_grad():
            fake = self.generate(self.noise(len(real)))
        estimate = wasserstein_estimate(self.critic(real), self.critic(fake))
        penalty = (gradient_penalty(self.critic, real, fake, self.cfg.gradient_penalty) if self.cfg.gradient_penalty
                   else estimate.new_zeros(()))
        critic_loss = penalty - estimate
        self._update("critic", critic_loss)
        if self.cfg.clip is not None:
            clip_weights_(self.critic, self.cfg.clip)
        measured = {"critic_loss": critic_loss.item(), "wasserstein_estimate": estimate.item()}
        return {**measured, "gradient_penalty": penalty.item()} if self.cfg.gradient_penalty else measured

    def generator_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One generator update on as many fresh fakes as x has images: G descends -E[f(G(z))]."""
        generator_loss = -self.critic(self.generate(self.noise(len(x)))).mean()
        self._update("generator", generator_loss)
        self.updates += 1
        return {"generator_loss": generator_loss.item()}

    @torch.no_grad()
    def discriminator_value(self, x: Tensor) -> Tensor:
        """The critic's score f(x) of each image x in [0, 1], (n,)."""
        return self.critic(to_symmetric(x)).flatten()


class WGANGP(WGAN):
    """The WGAN with the gradient penalty in place of clipping, and Adam (Gulrajani et al. 2017, Algorithm 1)."""

    name = "wgan-gp"
    summary = "Wasserstein GAN with gradient penalty (lambda 10) in place of clipping, Adam (1e-4, betas 0, 0.9)"
    paper = "Gulrajani et al. 2017, Improved Training of Wasserstein GANs"
    departures = (
        "the conv critic has no batch norm, which the penalty's per-example gradients forbid (the paper's Section 4)",
        "the DCGAN networks at half width by default; the paper's width is --preset paper",
    )
    Config = WGANGPConfig
    # 8 epochs: the gan_family wgan-gp took 103 s an epoch on 2 cores, its validation FD 6.9 and falling at 5 epochs
    train_defaults = {"batch_size": 320, "epochs": 8}
