"""A caption encoder learned with a joint image-text embedding, for conditioning StackGAN on text.

StackGAN (Zhang et al. 2016) conditions on the char-CNN-RNN embedding of Reed, Akata, Lee &
Schiele 2016, "Learning Deep Representations of Fine-Grained Visual Descriptions": a text network trained
so that its embedding scores high against the matching image's embedding, with the symmetric structured
joint embedding loss (DS-SJE). Captions here come from a closed grammar of about forty
words (:mod:`genzoo.data.captions`), so the network reads words, not characters: a word-level GRU sees
a caption in about twenty steps where a character-level one needs about a hundred, which is what lets it
train in a minute on one CPU thread, and spelling variants, the reason for characters in Reed et al.,
do not occur. Words outside the vocabulary become one unknown token, so any text gets an embedding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from genzoo.data.captions import caption_words
from genzoo.errors import GenzooError

PAD, UNKNOWN = "<pad>", "<unk>"


class Tokeniser:
    """Caption words to indices: 0 pads, 1 stands for any word outside ``vocabulary``, at most ``max_tokens``
    words are read (longer text is cut: every caption of the grammar is far shorter, and a GRU's embedding of
    hundreds of words it never saw in training would mean little anyway)."""

    def __init__(self, vocabulary: Sequence[str], max_tokens: int):
        self.words = [PAD, UNKNOWN, *vocabulary]
        self.index = {word: i for i, word in enumerate(self.words)}
        self.max_tokens = max_tokens

    @classmethod
    def from_captions(cls, captions: Iterable[str], max_tokens: int) -> Tokeniser:
        """The tokeniser whose vocabulary is every word of ``captions``, sorted: it does not depend on their order."""
        return cls(sorted({word for caption in captions for word in caption_words(caption)}), max_tokens)

    def __call__(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """Padded indices (B, L) int64 and lengths (B,) of ``texts``; an empty text is a one-line GenzooError."""
        if isinstance(texts, str):
            texts = [texts]
        rows = []
        for i, text in enumerate(texts):
            words = caption_words(text)[:self.max_tokens]
            if not words:
                raise GenzooError(f"caption {i} ({text!r}) has no words: describe the digits and where they are, "
                                  "e.g. 'a 7 at the top left'")
            rows.append([self.index.get(word, 1) for word in words])
        if not rows:
            raise GenzooError("no captions to encode: pass at least one")
        lengths = torch.tensor([len(row) for row in rows])
        ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.int64)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = torch.tensor(row)
        return ids, lengths


class TextEncoder(nn.Module):
    """Word embeddings, a bidirectional GRU, its states averaged over the words (Reed et al. 2016 average
    their char-CNN-RNN's hidden units over time), and a linear map to ``embedding_dim``."""

    def __init__(self, tokeniser: Tokeniser, word_dim: int, hidden: int, embedding_dim: int):
        super().__init__()
        self.tokeniser = tokeniser
        self.embedding_dim = embedding_dim
        self.words = nn.Embedding(len(tokeniser.words), word_dim, padding_idx=0)
        self.rnn = nn.GRU(word_dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, embedding_dim)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """Embeddings (B, embedding_dim) of tokenised captions."""
        packed = pack_padded_sequence(self.words(ids), lengths, batch_first=True, enforce_sorted=False)
        states, _ = self.rnn(packed)
        states, _ = pad_packed_sequence(states, batch_first=True)
        return self.out(states.sum(dim=1) / lengths[:, None].to(states.device, states.dtype))

    def embed(self, texts: Sequence[str]) -> Tensor:
        """Embeddings (B, embedding_dim) of caption strings."""
        return self(*self.tokeniser(texts))

    def architecture(self) -> dict:
        """What builds this encoder untrained: vocabulary and sizes (strings and numbers only)."""
        return {"vocabulary": self.tokeniser.words[2:], "max_tokens": self.tokeniser.max_tokens,
                "sizes": {"word_dim": self.words.embedding_dim, "hidden": self.rnn.hidden_size,
                          "embedding_dim": self.embedding_dim}}

    @classmethod
    def from_architecture(cls, content: dict) -> TextEncoder:
        return cls(Tokeniser(content["vocabulary"], content["max_tokens"]), **content["sizes"])

    def to_checkpoint(self) -> dict:
        """What rebuilds this encoder: vocabulary, sizes and weights (strings and tensors only)."""
        return {**self.architecture(), "state": self.state_dict()}

    @classmethod
    def from_checkpoint(cls, content: dict) -> TextEncoder:
        encoder = cls.from_architecture(content)
        encoder.load_state_dict(content["state"])
        return encoder.eval()


class CanvasEncoder(nn.Module):
    """The image side of the joint embedding: three stride-2 convolutions on the canvas halved to 32x32, and a
    linear map of the whole 4x4 feature map, not a pooled one, since where a digit is matters as much as
    what it is. Used only to train the text encoder (Reed et al. instead fixed a pretrained GoogLeNet)."""

    def __init__(self, image_shape: tuple[int, int, int], embedding_dim: int, width: int):
        super().__init__()
        channels, height, side = image_shape
        if height != side or side % 16:
            raise GenzooError(f"the canvas encoder reads square images with a side divisible by 16, "
                              f"not {height}x{side}")
        self.body = nn.Sequential(
            nn.AvgPool2d(2),
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * (side // 16) ** 2, embedding_dim))

    def forward(self, images: Tensor) -> Tensor:
        """Embeddings (B, embedding_dim) of canvases in [0, 1]."""
        return self.body(images * 2 - 1)


def joint_embedding_loss(images: Tensor, texts: Tensor, same: Tensor, margin: float = 1.0) -> Tensor:
    """Reed et al. 2016's symmetric structured loss (DS-SJE) over a minibatch, with compatibility
    F(v, t) = <v, t> and 0-1 loss Delta: each image's score with its own caption must beat its best-scoring
    caption of different content by ``margin``, and each caption's score with its own image must beat its
    best-scoring image of different content. ``same[i, j]`` says whether pairs i and j show the same content
    (these are not negatives); the two hinge terms are averaged over the batch and added.
    """
    scores = images @ texts.T
    matched = scores.diagonal()
    negatives = scores.masked_fill(same, float("-inf"))
    image_side = (margin + negatives.max(dim=1).values - matched).clamp(min=0)
    text_side = (margin + negatives.max(dim=0).values - matched).clamp(min=0)
    return image_side.mean() + text_side.mean()
