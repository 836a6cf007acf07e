"""Train the caption encoder StackGAN conditions on, with Reed et al. 2016's joint image-text embedding.

The text encoder and a canvas encoder are fitted together on the training split's (canvas, caption) pairs
to minimise the symmetric structured loss (:func:`genzoo.nn.text_encoder.joint_embedding_loss`); the canvas
encoder is then dropped. StackGAN trains it at the start of a run (its ``prepare``), so it sits here, below the
models, beside the encoder and its loss. The validation split says how usable the text embedding is: how often a
caption's best-scoring canvas among a hundred shows what it says.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor

from genzoo.checkpoint import load_checkpoint, save_checkpoint
from genzoo.config import option
from genzoo.data.images import Dataset, ImageSet
from genzoo.errors import GenzooError
from genzoo.nn.text_encoder import CanvasEncoder, TextEncoder, Tokeniser, joint_embedding_loss
from genzoo.seeding import epoch_order, fixed_noise

RETRIEVAL_CANDIDATES = 100


@dataclass
class TextEncoderConfig:
    embedding_dim: int = option(128, "size of the text embedding StackGAN conditions on", low=2, high=4096)
    word_dim: int = option(32, "size of a word's embedding", low=1, high=1024)
    hidden: int = option(64, "GRU state size in each direction", low=1, high=1024)
    canvas_width: int = option(16, "channels of the canvas encoder's first convolution (training only)",
                               low=1, high=1024)
    max_tokens: int = option(48, "words read from a caption; the rest are cut (the grammar's longest has 20)",
                             low=1, high=10_000)
    epochs: int = option(12, "passes over the training captions: the loss sits near 2 for two or three, then "
                         "falls as the canvas encoder learns to read digits", low=1, high=1000)
    batch_size: int = option(128, "pairs per step; each pair's negatives are the batch's other contents",
                             low=2, high=4096)
    lr: float = option(3e-3, "Adam learning rate", low=0.0, high=1.0)
    margin: float = option(1.0, "Delta of the structured hinge (Reed et al. 2016)", low=0.0, high=100.0)


def same_content(labels: Tensor) -> Tensor:
    """(B, B) bool: whether two canvases hold the same thing in every region (so neither is the other's negative)."""
    return (labels[:, None, :] == labels[None, :, :]).all(dim=-1)


def train_text_encoder(dataset: Dataset, cfg: TextEncoderConfig, seed: int, log=lambda _: None,
                       device: torch.device | None = None) -> tuple[TextEncoder, dict[str, Any]]:
    """A :class:`TextEncoder` fitted to ``dataset``'s training captions on ``device`` (the CPU by default), returned
    on the CPU, and a report of how it went.

    Everything random (initial weights, batch order) follows from ``seed``; the global RNG is left as it was.
    """
    started = time.perf_counter()
    train, validation = dataset.train, dataset.validation
    if train.captions is None or validation.captions is None or train.labels.dim() != 2:
        raise GenzooError(f"the text encoder learns from captioned images, and {dataset.name} has no captions: "
                          "use --data mnist-captions")
    if len(train) < 2:
        raise GenzooError(f"{dataset.name} has {len(train)} training canvases: the joint embedding needs at least 2")
    tokeniser = Tokeniser.from_captions(train.captions, cfg.max_tokens)
    with fixed_noise(seed):
        encoder = TextEncoder(tokeniser, cfg.word_dim, cfg.hidden, cfg.embedding_dim)
        canvases = CanvasEncoder(dataset.image_shape, cfg.embedding_dim, cfg.canvas_width)
    device = device or torch.device("cpu")
    encoder.to(device)
    canvases.to(device)
    optimizer = torch.optim.Adam([*encoder.parameters(), *canvases.parameters()], lr=cfg.lr, fused=True)
    ids, lengths = tokeniser(train.captions)   # the lengths stay on the CPU, where packing reads them
    ids, images, labels = ids.to(device), train.images.to(device), train.labels.to(device)
    batch_size = min(cfg.batch_size, len(train))
    steps_per_epoch = len(train) // batch_size
    losses = []
    for epoch in range(cfg.epochs):
        encoder.train()
        canvases.train()
        order = epoch_order(len(train), seed, epoch)[:steps_per_epoch * batch_size].view(steps_per_epoch, batch_size)
        epoch_losses = []
        for chosen in order:
            loss = joint_embedding_loss(canvases(images[chosen]), encoder(ids[chosen], lengths[chosen]),
                                        same_content(labels[chosen]), cfg.margin)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            epoch_losses.append(loss.item())
        losses.append(sum(epoch_losses) / len(epoch_losses))
        log(f"text encoder epoch {epoch + 1}/{cfg.epochs}: joint embedding loss {losses[-1]:.4f} "
            f"({time.perf_counter() - started:.0f} s)")
    encoder.cpu().eval()
    canvases.cpu()
    report = {"config": asdict(cfg), "seed": seed, "device": str(device), "vocabulary_size": len(tokeniser.words),
              "steps": cfg.epochs * steps_per_epoch, "train_loss_by_epoch": [round(x, 4) for x in losses],
              "validation": embedding_quality(encoder, canvases.eval(), validation, cfg.margin),
              "wall_time_s": round(time.perf_counter() - started, 1)}
    return encoder, report


@torch.no_grad()
def embedding_quality(encoder: TextEncoder, canvases: CanvasEncoder, images: ImageSet, margin: float) -> dict:
    """On held-out pairs, in groups of :data:`RETRIEVAL_CANDIDATES`: the joint embedding loss, how often a caption's
    best-scoring canvas holds its content (text-to-image top-1), and the mean score of matched minus mismatched
    pairs."""
    captions = cast(list[str], images.captions)   # train_text_encoder checked that the split has them
    losses, hits, gaps, groups = [], 0, [], 0
    for start in range(0, len(images), RETRIEVAL_CANDIDATES):
        part = slice(start, start + RETRIEVAL_CANDIDATES)
        v, t = canvases(images.images[part]), encoder.embed(captions[part])
        same = same_content(images.labels[part])
        scores = v @ t.T
        losses.append(joint_embedding_loss(v, t, same, margin).item())
        hits += int(same[scores.argmax(dim=0), torch.arange(len(t))].sum())
        gaps.append(scores.diagonal().mean().item() - scores[~same].mean().item() if (~same).any() else 0.0)
        groups += 1
    return {"pairs": len(images), "candidates": RETRIEVAL_CANDIDATES, "loss": round(sum(losses) / groups, 4),
            "text_to_image_top1": round(hits / len(images), 4),
            "matched_minus_mismatched_score": round(sum(gaps) / groups, 4)}


def save_text_encoder(path: Path, encoder: TextEncoder, report: dict[str, Any]) -> None:
    """The encoder and its training report, written atomically as a genzoo checkpoint."""
    save_checkpoint(Path(path), {"text_encoder": encoder.to_checkpoint(), "report": report})


def load_text_encoder(path: Path) -> tuple[TextEncoder, dict[str, Any]]:
    """The encoder and report saved by :func:`save_text_encoder`, in eval mode."""
    content = load_checkpoint(Path(path))
    if "text_encoder" not in content:
        raise GenzooError(f"{path} is not a text encoder: write one with 'genzoo text-encoder --out FILE'")
    return TextEncoder.from_checkpoint(content["text_encoder"]), content["report"]
