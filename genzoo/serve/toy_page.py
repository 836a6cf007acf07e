"""The live 2-D training page's games: each a genzoo.toy.ToyGame with its lock, stepped on request and described as
points, the discriminator's map and the generator's warp, with the loss and the mode-coverage score along the way."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from typing import Any

import torch

from genzoo import config as configs
from genzoo.evaluate.toy2d import TARGETS, Toy2D, toy_target
from genzoo.serve.explorer import BadRequest, NotFound, Params
from genzoo.toy import EXTENT, MODELS, ToyGame

# settings over genzoo.toy's MLP_4x512 for a page that moves: Gulrajani et al.'s toy settings for WGAN-GP (lambda 0.1,
# Adam beta1 0.5) and the 1e-3 rate the gan_modes benchmark gives both within a short budget; a 2-D latent, so that
# the generator's warp of the latent grid is the whole of its map
PAGE_SETTINGS = {"gan": ["model.lr=1e-3", "model.latent_dim=2"], "wgan": ["model.latent_dim=2"],
                 "wgan-gp": ["model.gradient_penalty=0.1", "model.beta1=0.5", "model.lr=1e-3", "model.latent_dim=2"]}
CLICKED_STD = 0.1     # the spread of each Gaussian around a point the user clicks
MAX_POINTS = 64
MAX_GAMES = 8         # games kept at once; the oldest is dropped first
MAX_STEPS = 50        # steps one request may take
SHOWN = 500           # points of each kind drawn on the page
RESOLUTION = 32       # the discriminator's map, cells a side
KINDS = ("train", "discriminator", "generator")


class ToyGames:
    """The games the page plays, by id, each stepped under its own lock."""

    def __init__(self) -> None:
        self.games: OrderedDict[str, tuple[ToyGame, threading.Lock, list[dict[str, Any]]]] = OrderedDict()
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def create(self, p: Params) -> dict[str, Any]:
        """A new game of the model on a target (ring8, grid25, or the points the user clicked)."""
        model = p.choice("model", "gan", MODELS)
        target_name = p.choice("target", "ring8", (*TARGETS, "points"))
        seed = p.integer("seed", 0, 0, configs.MAX_SEED)
        target = clicked(p.values.get("points")) if target_name == "points" else toy_target(target_name)
        game = ToyGame(model, target, PAGE_SETTINGS[model], seed)
        with self.lock:
            key = str(next(self.ids))
            self.games[key] = (game, threading.Lock(), [])
            while len(self.games) > MAX_GAMES:
                self.games.popitem(last=False)
        return self.step(key, Params({"kind": "train", "steps": 0}))

    def step(self, key: str, p: Params) -> dict[str, Any]:
        """``steps`` steps of one kind (the whole game's step, one D or critic update, one G update), then the view."""
        with self.lock:
            if key not in self.games:
                raise NotFound(f"no toy game '{key[:20]}': start one with POST /api/toy")
            game, lock, history = self.games[key]
        kind, steps = p.choice("kind", "train", KINDS), p.integer("steps", 1, 0, MAX_STEPS)
        with lock:
            act = {"train": game.train_step, "discriminator": game.discriminator_step,
                   "generator": game.generator_step}[kind]
            scalars: dict[str, float] = {}
            for _ in range(steps):
                scalars = act()
            return view(key, game, scalars, history)


def clicked(points: Any) -> Toy2D:
    """The mixture of Gaussians around the points the user clicked, checked."""
    if (not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS
            or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(c, (int, float)) and abs(c) <= EXTENT
                                                                  for c in p) for p in points)):
        raise BadRequest(f"parameter 'points' must list 1 to {MAX_POINTS} points [x, y] within +-{EXTENT}")
    return Toy2D("points", torch.tensor(points, dtype=torch.float32), CLICKED_STD)


def view(key: str, game: ToyGame, scalars: dict[str, float], history: list[dict[str, Any]]) -> dict[str, Any]:
    """What the page draws: real and generated points, D's map, G's warp, the scores and their history."""
    score = game.score()
    history.append({"generator_updates": game.generator_updates, "modes_covered": score["modes_covered"], **scalars})
    values = game.value_map(RESOLUTION)
    real = game.target.sample(SHOWN, torch.Generator().manual_seed(game.seed))
    return {"id": key, "model": game.model_name, "target": game.target.name, "extent": EXTENT,
            "centres": game.target.centres.tolist(), "real": real.tolist(), "fake": game.samples()[:SHOWN].tolist(),
            "value_map": {"resolution": RESOLUTION, "values": values.flatten().tolist(),
                          "low": values.min().item(), "high": values.max().item()},
            "warp": game.warp().tolist(), "scalars": scalars, "score": score,
            "generator_updates": game.generator_updates, "discriminator_updates": game.discriminator_updates,
            "history": history[-500:]}
