"""StackGAN (Zhang et al. 2016): text to image in two stages, a Stage-I GAN that sketches a low-resolution image
from the caption and a Stage-II GAN that refines it, given the caption again, to the full size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo import progress
from genzoo.config import option
from genzoo.data import Dataset, ImageSet
from genzoo.data.captions import GRID, random_captions
from genzoo.data.preprocess import to_symmetric, to_unit
from genzoo.errors import GenzooError
from genzoo.models.adversarial import NOISE, AdversarialModel
from genzoo.models.base import prefixed
from genzoo.nn.conditioning_augmentation import ConditioningAugmentation, kl_to_standard_normal
from genzoo.nn.conv import conv_decoder, init_dcgan_weights
from genzoo.nn.gan_losses import discriminator_loss, generator_loss, matching_aware_discriminator_loss
from genzoo.nn.joint_embedding import TextEncoderConfig, train_text_encoder
from genzoo.nn.stacked_networks import RefinementGenerator, TextConditionedDiscriminator
from genzoo.nn.text_encoder import TextEncoder

STAGES = ("Stage-I", "Stage-II")
FIGURE_CAPTIONS = 16
FIGURE_PAIRS_PER_ROW = 4
ENCODER_BATCH = 1000   # captions per pass of the text encoder


@dataclass
class StackGANConfig:
    latent_dim: int = option(100, "N_z, the dimension of Stage-I's noise z (Zhang et al. 2016, implementation "
                             "details: 100)", low=1)
    noise: str = option("normal", "distribution of z: standard normal as in the paper, or uniform on [-1, 1]",
                        choices=NOISE)
    embedding_dim: int = option(128, "dimension of the caption embedding phi_t from genzoo's text encoder, trained "
                                "at the start of a fresh run (Reed et al. 2016's char-CNN-RNN gives 1024)",
                                low=2, high=4096)
    conditioning_augmentation: bool = option(True, "each generator's condition c drawn from N(mu(phi_t), "
                                             "Sigma(phi_t)) with the KL penalty (Conditioning Augmentation); false "
                                             "gives the generators phi_t itself and no KL, the paper's ablation")
    condition_dim: int = option(128, "N_g, the dimension of c under Conditioning Augmentation (implementation "
                                "details: 128)", low=1)
    kl_weight: float = option(1.0, "lambda, the weight of D_KL(N(mu, Sigma) || N(0, I)) in each generator's loss "
                              "(eq. 4 and 6; the paper sets 1)", low=0.0)
    text_dim: int = option(128, "N_d, the discriminators' compression of phi_t, replicated over their 4x4 maps "
                           "(implementation details: 128)", low=1)
    stage1_size: int = option(32, "side of Stage-I's images, a quarter or half of the canvas (the paper's Stage-I "
                              "draws 64 of Stage-II's 256)", choices=(16, 32))
    stage1_generator_width: int = option(32, "channels of Stage-I G's last hidden layer, doubled per stage", low=1)
    stage1_discriminator_width: int = option(32, "channels of Stage-I D's first layer, doubled per stage", low=1)
    stage2_generator_width: int = option(16, "channels of Stage-II G's last hidden layer, doubled per stage inward; "
                                         "its residual blocks have the most", low=1)
    stage2_discriminator_width: int = option(8, "channels of Stage-II D's first layer, doubled per stage (at 16 it "
                                             "takes more than half of a Stage-II step)", low=1)
    residual_blocks: int = option(2, "residual blocks of Stage-II's generator", low=0)
    stage1_content_weight: float = option(4.0, "weight of the auxiliary classifier's cross-entropy of what each "
                                          "region holds (AC-GAN, Odena et al. 2017; TAC-GAN, Dash et al. 2017), in "
                                          "Stage-I D's loss on real images and Stage-I G's on its fakes against "
                                          "their caption; 0 is the paper's StackGAN", low=0.0)
    stage2_content_weight: float = option(8.0, "the same weight in Stage-II's losses; Stage-II needs more than "
                                          "Stage-I to keep the sketch's digits (see the class docstring)", low=0.0)
    stage1_fraction: float = option(0.8, "share of the run's steps that train Stage-I; Stage-II trains in the rest "
                                    "with Stage-I frozen (the paper gives each 600 epochs; at the default 10 epochs, "
                                    "0.8 matched 65.5% of validation captions at Stage-II against 0.5's 52.8%, since "
                                    "Stage-I learns what the caption says and Stage-II keeps it; the stackgan_captions "
                                    "benchmark trains 40 epochs at 0.5)", low=0.05, high=0.95)
    lr: float = option(2e-4, "Adam learning rate of every network (the paper: 0.0002)", low=0.0)
    lr_decay: bool = option(True, "decay each stage's learning rates linearly to 0 over that stage's steps (the paper "
                            "halves them every 100 of its 600 epochs); false keeps them constant")
    beta1: float = option(0.5, "Adam beta1 (Radford et al. 2015, Section 4)", low=0.0, high=1.0)


class StackGAN(AdversarialModel):
    """Stage-I: G_0(z, c_0) draws a ``stage1_size`` image, judged with the text by D_0 (eq. 3-4); Stage-II: G(s_0, c)
    refines the Stage-I image s_0 to the full side through residual blocks, judged by its own D (eq. 5-6). Each
    generator has its own Conditioning Augmentation, c ~ N(mu(phi_t), Sigma(phi_t)), and adds lambda times its KL to
    N(0, I) to its loss; both discriminators are matching-aware (GAN-CLS, Reed et al. 2016): a real image with
    another caption counts as fake. The stages train in order, as in the paper: Stage-I for the first
    ``stage1_fraction`` of the run, then Stage-II with Stage-I frozen (eval mode, so not even its batch-norm
    statistics move, and its images are drawn as when sampling). Generators minimise the non-saturating -log D
    (Goodfellow et al. 2014, Section 3) in place of eq. 4 and 6's log(1 - D); Adam, with each stage's rates decayed
    linearly to 0 over its steps (``lr_decay``) in place of the paper's halving every 100 epochs.

    Three changes for a budget of a few epochs, where the paper trains 600 per stage: the KL is per dimension of c, as
    the authors' code computes it (:func:`kl_to_standard_normal`); Stage-II's output is added to s_0 enlarged
    (:meth:`stage2_images`), so that it starts from the sketch rather than from noise; and each discriminator has an
    auxiliary classifier of what each region of the canvas holds (AC-GAN, Odena et al. 2017; TAC-GAN, Dash et al.
    2017, for text), trained on real images, whose cross-entropy against the caption's content each generator adds
    to its loss (``stage1_content_weight``, ``stage2_content_weight``): with the matching-aware logit alone, Stage-I
    seldom draws what its caption says within such a budget, and Stage-II needs a larger weight than Stage-I to keep
    the digits its sketch holds (the trials behind both are in docs/results.md). The caption fixes that content (the
    grammar's :func:`genzoo.data.captions.parse_caption` reads it back), so the labels add no information the text
    lacks.

    phi_t comes from genzoo's word-level text encoder (:mod:`genzoo.nn.text_encoder`), trained by Reed et al. 2016's
    joint embedding at the start of a fresh run and kept in the checkpoint (vocabulary in the state dict's extra
    state), frozen, as the paper's pretrained encoder is. The loop hands ``train_step`` each example's index (see
    :meth:`prepare`); the embeddings of all training captions are computed once per run.
    """

    name = "stackgan"
    summary = ("StackGAN: captions to 64x64 images in two stages, Conditioning Augmentation, matching-aware "
               "discriminators; --data mnist-captions; sample --text")
    paper = ("Zhang et al. 2016, StackGAN: Text to Photo-realistic Image Synthesis with Stacked GANs; GAN-CLS of Reed"
             " et al. 2016")
    departures = (
        "trains on mnist-captions, built offline from MNIST, in place of CUB and Oxford-102, which cannot be "
        "downloaded here",
        "a word-level bidirectional GRU text encoder trained with Reed et al. 2016's joint embedding loss at the "
        "start of the run, in place of the pretrained char-CNN-RNN",
        "auxiliary classifiers of each canvas quarter's content in both discriminators (as AC-GAN, Odena et al. 2017,"
        " and TAC-GAN): without them Stage-I seldom drew what its caption says within a few epochs (trials in "
        "docs/results.md); a weight of 0 is the paper's StackGAN",
        "learning rates decayed linearly to 0 over each stage, a smooth form of the paper's halving every 100 epochs",
    )
    Config = StackGANConfig
    text_conditioned = True
    # batch: the paper's implementation details; 10 epochs: the stackgan_captions runs took 63 s an epoch of Stage-I
    # and 83 of Stage-II on 2 cores, after 67 s training the text encoder (at stage1_fraction 0.8, 446 s of training)
    train_defaults = {"batch_size": 64, "epochs": 10}
    presets = {"paper": {"model": {"stage1_content_weight": 0.0, "stage2_content_weight": 0.0}}}

    def __init__(self, cfg: StackGANConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        channels, height, width = self.image_shape
        if height != width:
            raise GenzooError(f"stackgan draws square images, not {height}x{width}: use --data mnist-captions")
        condition_dim = cfg.condition_dim if cfg.conditioning_augmentation else cfg.embedding_dim
        augmented = cfg.conditioning_augmentation
        self.stage1_augmentation = ConditioningAugmentation(cfg.embedding_dim, cfg.condition_dim) if augmented else None
        self.stage2_augmentation = ConditioningAugmentation(cfg.embedding_dim, cfg.condition_dim) if augmented else None
        self.stage1_generator = conv_decoder(cfg.latent_dim + condition_dim, channels, cfg.stage1_size,
                                             cfg.stage1_generator_width, batch_norm=True)
        self.stage1_discriminator = TextConditionedDiscriminator(channels, cfg.stage1_size,
                                                                 cfg.stage1_discriminator_width, cfg.embedding_dim,
                                                                 cfg.text_dim, GRID, num_classes)
        self.stage2_generator = RefinementGenerator(channels, cfg.stage1_size, height, cfg.stage2_generator_width,
                                                    condition_dim, cfg.residual_blocks)
        self.stage2_discriminator = TextConditionedDiscriminator(channels, height, cfg.stage2_discriminator_width,
                                                                 cfg.embedding_dim, cfg.text_dim, GRID, num_classes)
        for stage in (1, 2):
            for network in self.networks(stage).values():
                if network is not None:
                    init_dcgan_weights(network)
        self.stage2_generator.start_from_the_sketch()
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.text_encoder: TextEncoder | None = None
        self.text_encoder_report: dict | None = None
        self.train_embeddings: Tensor | None = None   # phi_t of every training caption, set by prepare
        self.train_contents: Tensor | None = None     # what each training image shows, to find mismatched captions
        betas = (cfg.beta1, 0.999)
        self.optimizers = {}
        for stage in (1, 2):
            networks = self.networks(stage)
            augmentation = networks["augmentation"]
            generator = [*cast(nn.Module, networks["generator"]).parameters(),
                         *(augmentation.parameters() if augmentation else [])]
            self.optimizers[f"stage{stage}_discriminator"] = torch.optim.Adam(
                cast(nn.Module, networks["discriminator"]).parameters(), lr=cfg.lr, betas=betas, fused=True)
            self.optimizers[f"stage{stage}_generator"] = torch.optim.Adam(generator, lr=cfg.lr, betas=betas, fused=True)

    def networks(self, stage: int) -> dict[str, nn.Module | None]:
        """The generator, its Conditioning Augmentation (None without it) and the discriminator of stage 1 or 2."""
        return {"generator": getattr(self, f"stage{stage}_generator"),
                "augmentation": getattr(self, f"stage{stage}_augmentation"),
                "discriminator": getattr(self, f"stage{stage}_discriminator")}

    @classmethod
    def check_data(cls, dataset: Dataset) -> None:
        if dataset.train.captions is None:
            raise GenzooError(f"stackgan draws images from captions, and {dataset.name} has none: use "
                              "--data mnist-captions")

    # --- the text encoder, trained at the start of a fresh run and kept in the checkpoint --------------------------

    def adopt_text_encoder(self, encoder: TextEncoder, report: dict) -> None:
        """Make ``encoder`` the model's, frozen."""
        self.text_encoder = encoder.eval().requires_grad_(False).to(self.device)
        self.text_encoder_report = report

    def get_extra_state(self) -> dict:
        """The text encoder's vocabulary and sizes and its training report (its weights are in the state dict under
        text_encoder.), so that the checkpoint alone rebuilds it."""
        if self.text_encoder is None:
            return {}
        return {"text_encoder": self.text_encoder.architecture(), "report": self.text_encoder_report}

    def set_extra_state(self, state: dict) -> None:
        """Rebuild the text encoder untrained, before load_state_dict fills its weights (it loads submodules after)."""
        if state:
            self.adopt_text_encoder(TextEncoder.from_architecture(state["text_encoder"]), state["report"])

    def embed(self, texts: Sequence[str]) -> Tensor:
        """phi_t (N, embedding_dim) of each text: the encoder's embedding scaled to norm sqrt(embedding_dim), so that
        its entries are on z's scale (the joint embedding's own scale, a norm near 2, is set by its hinge margin, and
        a generator's first layer, initialised at N(0, 0.02), would take thousands of steps to hear it). Words the
        encoder never saw are its unknown token, text past its max_tokens words is cut, and a text without words is a
        one-line GenzooError naming it."""
        if self.text_encoder is None:
            raise GenzooError("this stackgan has no text encoder yet: 'genzoo train stackgan --data mnist-captions' "
                              "trains one at the start of the run")
        ids, lengths = self.text_encoder.tokeniser(texts)
        ids = ids.to(self.device)
        with torch.no_grad():
            encoded = torch.cat([self.text_encoder(ids[i:i + ENCODER_BATCH], lengths[i:i + ENCODER_BATCH])
                                 for i in range(0, len(ids), ENCODER_BATCH)])
        return F.normalize(encoded, dim=1) * self.cfg.embedding_dim ** 0.5

    def prepare(self, dataset: Dataset, seed: int) -> ImageSet:
        """In a fresh run, train the text encoder on the training captions, seeded by the run's seed (a resumed run
        has it from the checkpoint); embed every training caption once; hand the loop the training images labelled by
        their index, from which ``train_step`` finds each caption's embedding and, for GAN-CLS, another caption."""
        self.check_data(dataset)
        if self.text_encoder is None:
            text_cfg = TextEncoderConfig(embedding_dim=self.cfg.embedding_dim)
            progress.say(f"stackgan trains its text encoder on the {len(dataset.train):,} training captions first "
                         f"({text_cfg.epochs} epochs)")
            self.adopt_text_encoder(*train_text_encoder(dataset, text_cfg, seed, log=progress.say))
        train = dataset.train
        self.train_embeddings = self.embed(cast(list[str], train.captions))   # check_data: it has captions
        self.train_contents = train.labels.reshape(len(train), -1).to(self.device)
        return ImageSet(train.images, torch.arange(len(train)))

    # --- the two stages ----------------------------------------------------------------------------------------

    def stage1_steps(self) -> int:
        """Updates of the run given to Stage-I; Stage-II has the rest."""
        return round(self.run_length() * self.cfg.stage1_fraction)

    def stage(self) -> int:
        """1 or 2: the stage the next update trains, from the update count the checkpoint holds."""
        return 1 if self.updates < self.stage1_steps() else 2

    def phase(self) -> str:
        return STAGES[self.stage() - 1]

    def condition(self, stage: int, embeddings: Tensor, generator: torch.Generator | None = None,
                  at_mean: bool = False) -> tuple[Tensor, Tensor]:
        """(c, KL) of a stage: a draw of Conditioning Augmentation and its KL to N(0, I), or phi_t itself and 0.
        ``at_mean`` gives c = mu(phi_t), the draw truncated to its centre (the noise is drawn all the same, so that
        ``generator`` goes on as it would)."""
        augmentation = self.networks(stage)["augmentation"]
        if augmentation is None:
            return embeddings, embeddings.new_zeros(())
        c, mu, log_variance = augmentation(embeddings, generator)
        return (mu if at_mean else c), kl_to_standard_normal(mu, log_variance)

    def stage1_images(self, z: Tensor, embeddings: Tensor, generator: torch.Generator | None = None,
                      at_mean: bool = False) -> tuple[Tensor, Tensor]:
        """s_0 = G_0(z, c_0) in [-1, 1], (N, C, stage1_size, stage1_size), and the KL of c_0."""
        c, kl = self.condition(1, embeddings, generator, at_mean)
        return torch.tanh(self.stage1_generator(torch.cat([z, c], dim=1))), kl

    def stage2_images(self, stage1: Tensor, embeddings: Tensor, generator: torch.Generator | None = None,
                      at_mean: bool = False) -> tuple[Tensor, Tensor]:
        """G(s_0, c) in [-1, 1] at the full side, and the KL of c. The network's output is added to s_0 enlarged
        bilinearly, before the tanh (in its input space), and the network starts at zero, so that Stage-II starts
        from the sketch itself and learns what to change; the paper's Stage-II decodes from scratch, which within a
        short budget draws a grey, noisy background around the digits (the trial is in docs/results.md)."""
        c, kl = self.condition(2, embeddings, generator, at_mean)
        enlarged = F.interpolate(stage1, size=self.image_shape[1:], mode="bilinear", align_corners=False)
        return torch.tanh(self.stage2_generator(stage1, c) + torch.atanh(enlarged.clamp(-0.99, 0.99))), kl

    def generate(self, z: Tensor, labels: Tensor | None = None,
                 generator: torch.Generator | None = None) -> Tensor:
        """Stage-II images in [-1, 1] from z and the text embeddings phi_t given as ``labels``."""
        if labels is None:
            raise GenzooError("stackgan draws images of captions: give their embeddings (StackGAN.embed)")
        stage1, _ = self.stage1_images(z, labels, generator)
        return self.stage2_images(stage1, labels, generator)[0]

    @torch.no_grad()
    def generate_from_text(self, texts: Sequence[str], generator: torch.Generator | None = None,
                           batch_size: int = 500, at_mean: bool = False) -> tuple[Tensor, Tensor]:
        """Stage-I images (N, C, stage1_size, stage1_size) and the Stage-II images refined from them (N, C, H, W), in
        [0, 1], one of each per text; ``generator`` fixes z and the conditions' draws. ``at_mean`` gives both stages
        their condition at the mean of its Conditioning Augmentation, a truncation of the conditions' noise in the
        spirit of BigGAN's truncation trick (Brock et al. 2019, Section 3.1); z is drawn all the same."""
        stage1, stage2 = [], []
        for embeddings in self.embed(texts).split(batch_size):
            sketch, _ = self.stage1_images(self.noise(len(embeddings), generator), embeddings, generator, at_mean)
            stage1.append(to_unit(sketch))
            stage2.append(to_unit(self.stage2_images(sketch, embeddings, generator, at_mean)[0]))
        return torch.cat(stage1), torch.cat(stage2)

    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """Stage-II images of n captions drawn from mnist-captions' grammar with ``generator``."""
        return self.generate_from_text(random_captions(n, generator), generator)[1]

    @torch.no_grad()
    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """Each of 16 drawn captions' Stage-I image, enlarged to Stage-II's side, beside its Stage-II image: what
        the second stage adds (the paper's Figure 1 and the lecture's Stage-I and Stage-II rows)."""
        stage1, stage2 = self.generate_from_text(random_captions(FIGURE_CAPTIONS, generator), generator)
        enlarged = F.interpolate(stage1, size=stage2.shape[-2:], mode="nearest")
        return {"stages": (torch.stack([enlarged, stage2], dim=1).flatten(0, 1), 2 * FIGURE_PAIRS_PER_ROW)}

    # --- training ------------------------------------------------------------------------------------------------

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One update of the training stage's discriminator, then one of its generator and CA, on the same fakes.
        ``y`` holds the examples' indices in the training split (:meth:`prepare`); each example's mismatched caption
        is the previous example's in the batch, left out where both images show the same thing."""
        if self.train_embeddings is None or self.train_contents is None:
            raise GenzooError("stackgan learns from captions it embeds before the first step: train it with "
                              "'genzoo train stackgan --data mnist-captions'")
        embeddings, others = self.train_embeddings[y], y.roll(1)
        mismatched = (self.train_contents[y] != self.train_contents[others]).any(dim=1)
        stage = self.stage()
        if self.cfg.lr_decay:
            start, end = (0, self.stage1_steps()) if stage == 1 else (self.stage1_steps(), self.run_length())
            self.decay_learning_rates((f"stage{stage}_discriminator", f"stage{stage}_generator"),
                                      int(self.updates) - start, end - start)
        real = to_symmetric(x)
        if stage == 1:
            real = F.avg_pool2d(real, real.shape[-1] // self.cfg.stage1_size)
            fake, kl = self.stage1_images(self.noise(len(x)), embeddings)
        else:
            self.stage1_generator.eval()
            with torch.no_grad():
                sketch, _ = self.stage1_images(self.noise(len(x)), embeddings)
            fake, kl = self.stage2_images(sketch, embeddings)
        discriminator = cast(nn.Module, self.networks(stage)["discriminator"])
        contents = self.train_contents[y]
        (d_real, real_contents), (d_fake, _) = discriminator(real, embeddings), discriminator(fake.detach(), embeddings)
        d_loss = discriminator_loss(d_real, d_fake)
        if mismatched.any():
            d_mismatched = discriminator(real[mismatched], self.train_embeddings[others[mismatched]])[0]
            d_loss = matching_aware_discriminator_loss(d_real, d_mismatched, d_fake)
        d_content = F.cross_entropy(real_contents, contents)
        content_weight = self.cfg.stage1_content_weight if stage == 1 else self.cfg.stage2_content_weight
        self._update(f"stage{stage}_discriminator", d_loss + content_weight * d_content)
        g_logits, fake_contents = discriminator(fake, embeddings)
        g_loss, g_content = generator_loss(g_logits, "non-saturating"), F.cross_entropy(fake_contents, contents)
        self._update(f"stage{stage}_generator", g_loss + content_weight * g_content + self.cfg.kl_weight * kl)
        self.updates += 1
        scalars = {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": torch.sigmoid(d_real).mean().item(),
                   "d_fake": torch.sigmoid(d_fake).mean().item(), "d_content": d_content.item(),
                   "g_content": g_content.item()}
        if mismatched.any():
            scalars["d_mismatched"] = torch.sigmoid(d_mismatched).mean().item()
        if self.cfg.conditioning_augmentation:
            scalars["kl"] = kl.item()
        return prefixed(f"stage{stage}", scalars)
