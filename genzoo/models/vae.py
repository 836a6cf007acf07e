"""Variational auto-encoder (Kingma & Welling 2014) with the importance-weighted bound (Burda et al. 2015)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch import distributions as D

from genzoo.config import option
from genzoo.devices import normal
from genzoo.errors import GenzooError
from genzoo.likelihood.estimate import Estimate
from genzoo.likelihood.iwae import iwae_bound
from genzoo.models.base import GenerativeModel
from genzoo.nn.conv import conv_decoder, conv_encoder, mlp


@dataclass
class VAEConfig:
    architecture: str = option("mlp", "mlp, or conv (the DCGAN stacks without batch norm)", choices=("mlp", "conv"))
    latent_dim: int = option(50, "latent units; 50 as in Burda et al. 2015, Section 5.1", low=1)
    hidden: tuple[int, ...] = option((500, 500), "MLP hidden layers of encoder and decoder: 500 units, the width of "
                                     "Kingma & Welling 2014 (Section 5), which reaches a higher ELBO at a CPU budget "
                                     "than Burda et al. 2015's 200-200 (--preset paper)", low=1)
    activation: str = option("tanh", "MLP activation (Burda et al. 2015 use tanh)",
                             choices=("tanh", "relu", "softplus", "leaky_relu"))
    conv_width: int = option(32, "channels of the first conv layer, doubled at each stage", low=1)
    likelihood: str = option("auto", "p(x|z): bernoulli for binarized data; for grey levels gaussian (one learned "
                             "scale) or continuous_bernoulli (Loaiza-Ganem & Cunningham 2019); auto picks bernoulli "
                             "or gaussian by binarization",
                             choices=("auto", "bernoulli", "continuous_bernoulli", "gaussian"))
    lr: float = option(1e-3, "Adam learning rate (Burda et al. 2015)", low=0.0)
    adam_eps: float = option(1e-4, "Adam epsilon (Burda et al. 2015)", low=0.0)


class VAE(GenerativeModel):
    """Encoder q(z|x), prior N(0, I), decoder p(x|z); trained on the ELBO, Kingma & Welling 2014, eq. 10."""

    name = "vae"
    summary = "variational auto-encoder, ELBO training, IWAE log-likelihood bound"
    paper = ("Kingma & Welling 2014, Auto-Encoding Variational Bayes; the IWAE bound of Burda, Grosse & Salakhutdinov"
             " 2015")
    departures = (
        "grey images get a Gaussian likelihood with one learned scale (or the continuous Bernoulli) where the paper "
        "binarizes: a Bernoulli likelihood of grey pixels is no density of them",
        "a convolutional encoder and decoder beside the paper's MLPs, for the image sizes the GANs take",
        "two hidden layers of 500 units by default, where Burda et al. have 200 (--preset paper)",
    )
    Config = VAEConfig
    # batch: M = 100, Kingma & Welling 2014, Section 5; 30 epochs: the vae_mnist benchmark's networks took 24 s an
    # epoch on 2 cores (FD 1.28 by 'genzoo eval' after 100 epochs, eval_vae_mnist)
    train_defaults = {"batch_size": 100, "epochs": 30}
    binarization = "dynamic"   # the Bernoulli likelihood of binary pixels, resampled every batch, as the benchmark
    presets = {"paper": {"model": {"hidden": [200, 200]}}}
    quick_budget = {"k": 50}
    mixed_precision = True

    def __init__(self, cfg: VAEConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        c, h, w = self.image_shape
        pixels = c * h * w
        if cfg.architecture == "mlp":
            self.encoder = nn.Sequential(nn.Flatten(), mlp((pixels, *cfg.hidden, 2 * cfg.latent_dim), cfg.activation))
            self.decoder = mlp((cfg.latent_dim, *reversed(cfg.hidden), pixels), cfg.activation)
        else:
            self.encoder = conv_encoder(c, h, cfg.conv_width, 2 * cfg.latent_dim, batch_norm=False)
            self.decoder = conv_decoder(cfg.latent_dim, c, h, cfg.conv_width, batch_norm=False)
        self.log_scale = nn.Parameter(torch.zeros(())) if cfg.likelihood == "gaussian" else None
        self.optimizers = {"adam": torch.optim.Adam(self.parameters(), lr=cfg.lr, eps=cfg.adam_eps, fused=True)}

    @classmethod
    def resolve(cls, cfg: VAEConfig, binarized: bool) -> VAEConfig:
        if cfg.likelihood == "auto":
            cfg.likelihood = "bernoulli" if binarized else "gaussian"
        if cfg.likelihood == "bernoulli" and not binarized:
            raise GenzooError("model.likelihood=bernoulli is a law of binary pixels and data.binarize=none leaves them "
                              "grey: binarize them (--set data.binarize=dynamic) or use gaussian or "
                              "continuous_bernoulli")
        return cfg

    # Every distribution below is built with validate_args=False: its parameters are valid by construction and
    # resolve() checks the pixels against the likelihood once, where torch's checks on every call cost 5% of a step.

    def posterior(self, x: Tensor) -> D.Normal:
        """q(z|x): a diagonal Gaussian whose mean and log-variance the encoder outputs."""
        mean, log_var = self.encoder(x).float().chunk(2, dim=-1)   # float32 under autocast too
        return D.Normal(mean, torch.exp(0.5 * log_var), validate_args=False)

    def prior(self, shape: tuple[int, ...]) -> D.Normal:
        zeros = torch.zeros(*shape, self.cfg.latent_dim, device=self.device)
        return D.Normal(zeros, torch.ones_like(zeros), validate_args=False)

    def likelihood(self, z: Tensor) -> D.Distribution:
        """p(x|z) over flattened pixels, for z of shape (..., latent_dim)."""
        lead = z.shape[:-1]
        out = self.decoder(z.reshape(-1, self.cfg.latent_dim)).float().reshape(*lead, -1)
        if self.cfg.likelihood == "bernoulli":
            return D.Bernoulli(logits=out, validate_args=False)
        if self.cfg.likelihood == "continuous_bernoulli":
            return D.ContinuousBernoulli(logits=out, validate_args=False)
        assert self.log_scale is not None   # a parameter of the gaussian likelihood
        return D.Normal(torch.sigmoid(out), self.log_scale.exp().expand_as(out), validate_args=False)

    def elbo(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Per-example ELBO and its two terms: E_q[log p(x|z)] and KL(q(z|x) || p(z)) in closed form."""
        q = self.posterior(x)
        z = q.rsample()
        reconstruction = self.likelihood(z).log_prob(x.flatten(1)).sum(-1)
        kl = D.kl_divergence(q, self.prior(z.shape[:-1])).sum(-1)
        return reconstruction - kl, reconstruction, kl

    def log_weights(self, x: Tensor, k: int) -> Tensor:
        """log p(x, z_i) - log q(z_i | x) for k samples z_i ~ q(z|x): shape (k, N) (Burda et al. 2015, eq. 8)."""
        q = self.posterior(x)
        z = q.sample((k,))
        log_px_z = self.likelihood(z).log_prob(x.flatten(1).expand(k, *x.flatten(1).shape)).sum(-1)
        return log_px_z + self.prior(z.shape[:-1]).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        elbo, reconstruction, kl = self.elbo(x)
        loss = -elbo.mean()
        self._update("adam", loss)
        return {"loss": loss.item(), "reconstruction": reconstruction.mean().item(), "kl": kl.mean().item()}

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        elbo, _, kl = self.elbo(x)
        return {"elbo": elbo.mean().item(), "kl": kl.mean().item()}

    @torch.no_grad()
    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """The IWAE bound with k = budget['k'] importance samples (default 1,000)."""
        return iwae_bound(self, images, k=budget.get("k", 1000), generator_seed=seed)

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n draws of z from the prior N(0, I): the latent that ``generate`` decodes."""
        return normal((n, self.cfg.latent_dim), self.device, generator)

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """The mean of p(x|z) as images in [-1, 1], the range a GAN's generator gives, so that latent arithmetic and
        interpolation treat both alike."""
        return self.likelihood(z).mean.reshape(len(z), *self.image_shape).clamp(0, 1) * 2 - 1

    @torch.no_grad()
    def reconstruct(self, images: Tensor) -> Tensor:
        """The mean of p(x|z) at the posterior mean of z given the images."""
        z = self.posterior(images).mean
        return self.likelihood(z).mean.reshape(len(images), *self.image_shape).clamp(0, 1)

    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """Means of p(x|z) for z from the prior: the usual way to show a VAE's samples."""
        z = normal((n, self.cfg.latent_dim), self.device, generator)
        return self.likelihood(z).mean.reshape(n, *self.image_shape).clamp(0, 1)

