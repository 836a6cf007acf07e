"""InfoGAN (Chen et al. 2016): a GAN whose latent codes c are made recoverable from G(z, c), by maximising a lower
bound on the mutual information I(c; G(z, c)) with a network Q that shares the discriminator's body."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.config import option
from genzoo.data.preprocess import to_symmetric, to_unit
from genzoo.devices import integers, uniform
from genzoo.errors import GenzooError
from genzoo.models.adversarial import AdversarialModel
from genzoo.nn.conv import Reshape, init_dcgan_weights
from genzoo.nn.gan_losses import discriminator_loss, generator_loss

TRAVERSAL_ROWS = 10
CONTINUOUS_TRAVERSAL = torch.linspace(-2, 2, 9)   # past the prior's [-1, 1], as in Figure 2 (c, d)


@dataclass
class InfoGANConfig:
    noise_dim: int = option(62, "incompressible noise z, uniform on [-1, 1] (Chen et al. 2016, Appendix C.1: 62 "
                            "for MNIST)", low=1)
    categorical_codes: tuple[int, ...] = option((10,), "categories of each categorical code, uniform over them "
                                                "(Appendix C.1: one code of 10 for MNIST)", low=2)
    continuous_codes: int = option(2, "continuous codes, each uniform on [-1, 1] (Appendix C.1: 2 for MNIST)", low=0)
    info_weight: float = option(1.0, "lambda of the categorical codes' information term (Section 6: 1 suffices for "
                                "discrete codes)", low=0.0)
    continuous_info_weight: float = option(1.0, "lambda of the continuous codes' term (the authors' MNIST experiment, "
                                           "openai/InfoGAN launchers/run_mnist_exp.py: info_reg_coeff 1 for every "
                                           "code; Section 6 suggests a smaller one where differential entropy "
                                           "outweighs the GAN loss)", low=0.0)
    width: int = option(64, "channels of D's first convolution and of G's last hidden layer; the next layer in has "
                        "twice as many (Appendix C.1: 64 and 128)", low=1)
    hidden: int = option(1024, "units of the fully connected hidden layer of D and of G (Appendix C.1: 1024)", low=1)
    leak: float = option(0.01, "negative slope of the LeakyReLUs of D and Q (the paper states none; the authors' code, "
                         "openai/InfoGAN infogan/misc/custom_ops.py leaky_rectify, uses 0.01; DCGAN's is 0.2)", low=0.0)
    code_hidden: int = option(128, "units of Q's hidden layer (Appendix C.1: 128)", low=1)
    discriminator_lr: float = option(2e-4, "Adam learning rate of D and of Q's head (Appendix C.1: 2e-4)", low=0.0)
    generator_lr: float = option(1e-3, "Adam learning rate of G (Appendix C.1: 1e-3)", low=0.0)
    beta1: float = option(0.5, "Adam beta1 (Radford et al. 2015, Section 4)", low=0.0, high=1.0)


def categorical_information(logits: Tensor, categories: Tensor) -> Tensor:
    """E[log Q(c | x)] + H(c) for a code uniform over K categories, Q a softmax: log K - cross-entropy (eq. 4-5).
    At most H(c) = log K, reached when Q tells c from G(z, c) with certainty."""
    return math.log(logits.shape[1]) - F.cross_entropy(logits, categories)


def continuous_information(mean: Tensor, codes: Tensor) -> Tensor:
    """E[log Q(c | x)] + H(c) summed over codes uniform on [-1, 1] (entropy log 2 each), Q a factored Gaussian
    (Section 6) whose std is fixed at 1, so that the bound stays below log 2 - log sqrt(2 pi) per code."""
    log_density = -0.5 * (codes - mean) ** 2 - 0.5 * math.log(2 * math.pi)
    return (log_density + math.log(2)).sum(1).mean()


def infogan_networks(cfg: InfoGANConfig, image_shape: tuple[int, int, int],
                     code_parameters: int) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    """G, the body D and Q share, D's real-or-fake logit and Q's head (Appendix C.1), for images whose sides are a
    multiple of 4: the paper's 7x7 maps for MNIST's 28 pixels are side / 4 in general. The LeakyReLUs' slope is
    ``cfg.leak``."""
    channels, height, width = image_shape
    if height % 4 or width % 4:
        raise GenzooError(f"image size {height}x{width} does not suit InfoGAN's networks (Chen et al. 2016, "
                          "Appendix C.1): use images whose sides are multiples of 4, such as 28 or 8")
    maps = (2 * cfg.width, height // 4, width // 4)
    latent_dim = cfg.noise_dim + sum(cfg.categorical_codes) + cfg.continuous_codes
    generator = nn.Sequential(
        nn.Linear(latent_dim, cfg.hidden, bias=False), nn.BatchNorm1d(cfg.hidden), nn.ReLU(),
        nn.Linear(cfg.hidden, math.prod(maps), bias=False), nn.BatchNorm1d(math.prod(maps)), nn.ReLU(),
        Reshape(*maps),
        nn.ConvTranspose2d(maps[0], cfg.width, 4, 2, 1, bias=False), nn.BatchNorm2d(cfg.width), nn.ReLU(),
        nn.ConvTranspose2d(cfg.width, channels, 4, 2, 1))
    body = nn.Sequential(
        nn.Conv2d(channels, cfg.width, 4, 2, 1), nn.LeakyReLU(cfg.leak),
        nn.Conv2d(cfg.width, maps[0], 4, 2, 1, bias=False), nn.BatchNorm2d(maps[0]), nn.LeakyReLU(cfg.leak),
        nn.Flatten(), nn.Linear(math.prod(maps), cfg.hidden, bias=False), nn.BatchNorm1d(cfg.hidden),
        nn.LeakyReLU(cfg.leak))
    real_or_fake = nn.Linear(cfg.hidden, 1)
    code_posterior = nn.Sequential(
        nn.Linear(cfg.hidden, cfg.code_hidden, bias=False), nn.BatchNorm1d(cfg.code_hidden), nn.LeakyReLU(cfg.leak),
        nn.Linear(cfg.code_hidden, code_parameters))
    for network in (generator, body, real_or_fake, code_posterior):
        init_dcgan_weights(network)
    return generator, body, real_or_fake, code_posterior


class InfoGAN(AdversarialModel):
    """min over G and Q, max over D of V(D, G) - lambda L_I(G, Q) (Chen et al. 2016, eq. 6), where L_I(G, Q) =
    E[log Q(c | G(z, c))] + H(c) <= I(c; G(z, c)) (eq. 4-5) and z = (noise, codes).

    Q is D's body with its own head: softmax logits for each categorical code and the mean of a unit-variance
    Gaussian for each continuous one. The std is fixed, not learned (as the authors' code fixes it for MNIST): Q could
    shrink a learned std and drive log Q, a density, towards +inf on codes G renders exactly. D's optimizer owns the
    body, D's logit and Q's head, as in the authors' code (Q's layers live in D's variable scope), so D's update
    climbs L_I through all of Q at D's rate; G's optimizer owns G alone, and G's update climbs L_I too (eq. 6).
    G minimises the non-saturating -log D(G(z)) (Goodfellow et al. 2014, Section 3).
    """

    name = "infogan"
    summary = "InfoGAN: categorical and continuous latent codes made recoverable by Q, which shares D's body"
    paper = "Chen et al. 2016, InfoGAN: Interpretable Representation Learning by Information Maximizing GANs"
    departures = (
        "LeakyReLU slope 0.01 in D and Q, the authors' code's (the paper states none)",
        "Q models each continuous code as a Gaussian of fixed standard deviation 1: a learned one could shrink and "
        "let the information term swamp the GAN loss",
    )
    Config = InfoGANConfig
    # batch: the authors' MNIST experiment (launchers/run_mnist_exp.py); 3 epochs: the gan_family runs took 220-262 s
    # an epoch on 2 cores and reached a validation FD of 0.66-1.0 at step 1,092 (2.8 epochs)
    train_defaults = {"batch_size": 128, "epochs": 3}

    def __init__(self, cfg: InfoGANConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        code_parameters = sum(cfg.categorical_codes) + cfg.continuous_codes
        self.generator, self.body, self.real_or_fake, self.code_posterior = infogan_networks(
            cfg, self.image_shape, code_parameters)
        betas = (cfg.beta1, 0.999)
        discriminator = [*self.body.parameters(), *self.real_or_fake.parameters(), *self.code_posterior.parameters()]
        generator = list(self.generator.parameters())
        self.optimizers = {
            "discriminator": torch.optim.Adam(discriminator, lr=cfg.discriminator_lr, betas=betas, fused=True),
            "generator": torch.optim.Adam(generator, lr=cfg.generator_lr, betas=betas, fused=True),
        }

    @classmethod
    def resolve(cls, cfg: InfoGANConfig, binarized: bool) -> InfoGANConfig:
        if not cfg.categorical_codes and not cfg.continuous_codes:
            raise GenzooError("model.categorical_codes=[] with model.continuous_codes=0 leaves InfoGAN no code to "
                              "learn: give it one, e.g. --set model.categorical_codes=[10]")
        return cfg

    def draw(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """n draws of the latent's parts from their priors: noise (n, noise_dim) and continuous codes (n, codes)
        uniform on [-1, 1], categories (n, categorical codes) uniform over each code's categories."""
        device = self.device
        noise = uniform((n, self.cfg.noise_dim), device, generator) * 2 - 1
        categories = (torch.stack([integers(k, (n,), device, generator) for k in self.cfg.categorical_codes], 1)
                      if self.cfg.categorical_codes else torch.zeros(n, 0, dtype=torch.long, device=device))
        continuous = uniform((n, self.cfg.continuous_codes), device, generator) * 2 - 1
        return noise, categories, continuous

    def latent(self, noise: Tensor, categories: Tensor, continuous: Tensor) -> Tensor:
        """G's input for given parts: the noise, each categorical code one-hot, then the continuous codes."""
        one_hot = [F.one_hot(categories[:, i], k).to(noise.dtype) for i, k in enumerate(self.cfg.categorical_codes)]
        return torch.cat([noise, *one_hot, continuous], dim=1)

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n latents (noise and codes) from the prior: what ``sample`` decodes."""
        return self.latent(*self.draw(n, generator))

    def traversal_latents(self, draws: tuple[Tensor, Tensor, Tensor], code: int, values: Tensor) -> Tensor:
        """Latents for a grid with a row per draw and a column per value: row r keeps draw r's noise and codes but
        sets code number ``code`` (the categorical ones first, then the continuous) to the column's value."""
        noise, categories, continuous = (part.repeat_interleave(len(values), 0) for part in draws)
        columns = values.repeat(len(draws[0]))
        if code < len(self.cfg.categorical_codes):
            categories[:, code] = columns
        else:
            continuous[:, code - len(self.cfg.categorical_codes)] = columns
        return self.latent(noise, categories, continuous)

    @torch.no_grad()
    def decode_codes(self, n: int, generator: torch.Generator, codes: dict[int, float]) -> Tensor:
        """n draws of noise and codes with code c set to codes[c] (a category, or any continuous value, past the
        prior's [-1, 1] too), decoded; a one-line error for a code or category the model has not."""
        noise, categories, continuous = self.draw(n, generator)
        kinds = len(self.cfg.categorical_codes)
        total = kinds + self.cfg.continuous_codes
        for code, value in codes.items():
            if not 0 <= code < total:
                raise GenzooError(f"code c{code + 1}: this infogan has codes c1 to c{total}")
            if code < kinds:
                k = self.cfg.categorical_codes[code]
                if value != int(value) or not 0 <= value < k:
                    raise GenzooError(f"code c{code + 1} is categorical: give a category 0 to {k - 1}, not {value}")
                categories[:, code] = int(value)
            else:
                continuous[:, code - kinds] = value
        return to_unit(self.generate(self.latent(noise, categories, continuous)))

    @torch.no_grad()
    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """One traversal per code, named c1, c2, ... as in the paper: a row per draw of noise and the other codes, a
        column per category, or per value from -2 to 2 for a continuous code (Figure 2)."""
        draws = self.draw(TRAVERSAL_ROWS, generator)
        figures = {}
        for code, k in enumerate(self.cfg.categorical_codes):
            latents = self.traversal_latents(draws, code, torch.arange(k, device=self.device))
            figures[f"traversal_c{code + 1}_categorical"] = (to_unit(self.generate(latents)), k)
        for j in range(self.cfg.continuous_codes):
            code = len(self.cfg.categorical_codes) + j
            latents = self.traversal_latents(draws, code, CONTINUOUS_TRAVERSAL.to(self.device))
            figures[f"traversal_c{code + 1}_continuous"] = (to_unit(self.generate(latents)),
                                                            len(CONTINUOUS_TRAVERSAL))
        return figures

    @torch.no_grad()
    def classify(self, x: Tensor) -> Tensor:
        """Q's most probable category of each categorical code for images x in [0, 1]: (n, categorical codes). Read
        on real digits, c1 is an unsupervised classifier, the use the paper's 5% error on MNIST refers to (Figure 2)."""
        logits = self.code_posterior(self.body(to_symmetric(x)))[:, :sum(self.cfg.categorical_codes)]
        return torch.stack([part.argmax(1) for part in logits.split(self.cfg.categorical_codes, dim=1)], 1)

    def information(self, features: Tensor, categories: Tensor, continuous: Tensor) -> dict[str, Tensor]:
        """L_I's categorical and continuous parts from the body's features of G(z, c), and Q's accuracy on the
        categories (the mean over categorical codes)."""
        parameters = self.code_posterior(features)
        logits = parameters[:, :sum(self.cfg.categorical_codes)].split(self.cfg.categorical_codes, dim=1)
        mean = parameters[:, sum(self.cfg.categorical_codes):]
        terms = {"continuous": continuous_information(mean, continuous)}
        if self.cfg.categorical_codes:
            terms["categorical"] = cast(Tensor, sum(categorical_information(code, c)   # one tensor per code
                                                    for code, c in zip(logits, categories.T)))
            terms["accuracy"] = torch.stack([(code.argmax(1) == c).float().mean()
                                             for code, c in zip(logits, categories.T)]).mean()
        return terms

    def weighted_information(self, terms: dict[str, Tensor]) -> Tensor:
        """lambda L_I, each kind of code with its own lambda (Section 6)."""
        categorical = self.cfg.info_weight * terms["categorical"] if "categorical" in terms else 0.0
        return categorical + self.cfg.continuous_info_weight * terms["continuous"]

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One update of D and Q (both climbing L_I), then one of G, on the same fakes. The
        information terms and Q's accuracy reported are measured before either update, on fakes Q has not seen."""
        noise, categories, continuous = self.draw(len(x))
        fake = self.generate(self.latent(noise, categories, continuous))
        fake_features = self.body(fake.detach())
        d_real, d_fake = self.real_or_fake(self.body(to_symmetric(x))), self.real_or_fake(fake_features)
        d_loss = discriminator_loss(d_real, d_fake)
        terms = self.information(fake_features, categories, continuous)
        self._update("discriminator", d_loss - self.weighted_information(terms))

        features = self.body(fake)
        g_loss = generator_loss(self.real_or_fake(features), "non-saturating")
        information = self.weighted_information(self.information(features, categories, continuous))
        self._update("generator", g_loss - information)
        scalars = {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                   "d_real": torch.sigmoid(d_real).mean().item(), "d_fake": torch.sigmoid(d_fake).mean().item()}
        if self.cfg.continuous_codes:
            scalars["info_continuous"] = terms["continuous"].item()
        if self.cfg.categorical_codes:
            scalars |= {"info_categorical": terms["categorical"].item(), "q_accuracy": terms["accuracy"].item()}
        return scalars
