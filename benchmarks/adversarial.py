"""Benchmarks of the GAN family: the lecture's claims about GANs, each turned into a measurement.

    python -m benchmarks.run gan_family --gan-data mnist,fashion-mnist   # every GAN at one budget; loss vs FD
    python -m benchmarks.run gan_modes                                   # mode collapse: 25 Gaussians and MNIST
    python -m benchmarks.run gan_ablation                                # each Improved-GAN technique alone
    python -m benchmarks.run gan_convergence                             # the loss-vs-FD analysis of those runs
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from PIL import Image, ImageDraw
from scipy.stats import spearmanr

from benchmarks.common import (
    RESULTS,
    RUNS,
    fresh_run_dir,
    provenance,
    spread,
    train_to_the_end,
    write_result,
    write_seed_result,
)
from benchmarks.table import infogan_leak
from genzoo.data import load_dataset
from genzoo.data.config import DataConfig
from genzoo.evaluate.codes import infogan_codes
from genzoo.evaluate.features import load_feature_network
from genzoo.evaluate.toy2d import grid25
from genzoo.registry import MODELS
from genzoo.run import evaluate_run, make_run_config, open_run
from genzoo.toy import MLP_4x512, ToyGame
from genzoo.train.metrics_log import read_metrics, watched_at_evaluations
from genzoo.viz import plots

# every GAN at its paper's settings, the convolutional ones at half DCGAN's width so that the family trains on
# 2 CPU cores in about an hour; gan is the MLP of Arjovsky et al. 2017's Figure 6 (4 layers of 512 units), the
# mode collapse the lecture shows (gan's default players are convolutional since)
NARROW = ["model.generator_width=32"]
FAMILY_SETTINGS = {
    "gan": ["model.architecture=mlp"],
    "dcgan": [*NARROW, "model.discriminator_width=32"],
    "wgan": [*NARROW, "model.critic_width=32"],
    "wgan-gp": [*NARROW, "model.critic_width=32"],
    "cgan": ["model.architecture=conv", *NARROW, "model.discriminator_width=32"],
    "infogan": [],
}
# the number a user watches while the model trains: the generator's loss, or the critic's Wasserstein estimate
WATCHED = {"gan": "g_loss", "dcgan": "g_loss", "wgan": "wasserstein_estimate", "wgan-gp": "wasserstein_estimate",
           "cgan": "g_loss", "infogan": "g_loss"}
QUIET_RUN = ["train.sample_every=100000", "train.checkpoint_every=2000", "train.log_every=5"]
SAMPLE_METRICS = ["fd", "kid", "pr", "dc", "cs", "modes"]
EVALUATIONS = 25   # scheduled FD evaluations along each run


def steps_per_epoch(cfg, dataset_name: str, data_dir: str | None) -> int:
    return math.ceil(len(load_dataset(dataset_name, cfg.data, data_dir).train) / cfg.train.batch_size)


WARM_UP = 0.2   # the share of a run before a critic or discriminator has caught up with its generator


def watched_against_quality(records: list[dict], watched: str) -> dict:
    """The watched loss averaged over the steps since the previous scheduled evaluation, beside that evaluation's
    FD, and their Spearman rank correlation over the run (a loss that tracks quality falls as FD falls: rho > 0),
    and over the run after its first WARM_UP share: a WGAN's estimate is meaningful only once the critic is near
    its optimum (Arjovsky et al. 2017, Section 4), and a freshly initialised critic is far from it."""
    points = watched_at_evaluations(records, watched)
    if len(points) < 3:
        raise SystemExit(f"{len(points)} scheduled evaluations are too few for a rank correlation: train longer")
    rho, p_value = spearmanr([p[1] for p in points], [p[2] for p in points])
    later = [p for p in points if p[0] > WARM_UP * points[-1][0]]
    later_rho, later_p = spearmanr([p[1] for p in later], [p[2] for p in later])
    return {"watched": watched, "spearman_rho": float(rho), "p_value": float(p_value), "evaluations": len(points),
            "after_warm_up": {"from_step": later[0][0], "spearman_rho": float(later_rho), "p_value": float(later_p),
                              "evaluations": len(later)},
            "points (step, mean watched loss since the previous evaluation, validation FD of 1,000 samples)": points}


def curves_svg(title: str, convergence: dict) -> str:
    """The watched loss and FD along a run, one plot each, side by side in one SVG file."""
    points = next(v for k, v in convergence.items() if k.startswith("points"))
    fig, (loss_axes, fd_axes) = plots.figure(2, columns=2)
    steps = [s for s, _, _ in points]
    loss_axes.plot(steps, [loss for _, loss, _ in points], linewidth=1)
    loss_axes.set_title(f"{title}: {convergence['watched']}")
    fd_axes.plot(steps, [fd for _, _, fd in points], linewidth=1, color="#d62728")
    fd_axes.set_title(f"{title}: validation FD (Spearman rho {convergence['spearman_rho']:.2f})")
    for axes in (loss_axes, fd_axes):
        axes.set_xlabel("step")
    return plots.svg_document(fig)


def gan_convergence(args: argparse.Namespace) -> None:
    """The watched loss against FD, read again from the metrics.jsonl of every gan_family run there is, with this
    commit's analysis (over the whole run and after the warm-up); the runs themselves are not retrained."""
    started = time.perf_counter()
    runs = {}
    for run_dir in sorted(RUNS.glob("gan_*")):
        model = next((m for m in sorted(WATCHED, key=len, reverse=True) if run_dir.name.startswith(f"gan_{m}_")), None)
        if model and (run_dir / "metrics.jsonl").exists():
            runs[run_dir.name] = {"model": model, "dataset": run_dir.name[len(f"gan_{model}_"):],
                                  **watched_against_quality(read_metrics(run_dir / "metrics.jsonl"), WATCHED[model])}
    if not runs:
        raise SystemExit(f"no gan_family runs in {RUNS}: run 'python -m benchmarks.run gan_family' first")
    write_result("gan_convergence", {
        "benchmark": "gan_convergence",
        "what": "for each gan_family run, the Spearman correlation between the loss a user watches (averaged since the "
                "previous scheduled evaluation) and the validation FD of 1,000 samples at that evaluation, over the "
                f"whole run and after its first {WARM_UP:.0%}; read from the runs' metrics.jsonl",
        "runs": runs, "provenance": provenance(args.seed, started, load_dataset("mnist", DataConfig(), args.data_dir)),
    })


def gan_family(args: argparse.Namespace) -> None:
    """Each GAN trained for --gan-epochs on each --gan-data set with FD scheduled along the way; then 'genzoo eval'
    on 10,000 samples against the test split. One result file per model and dataset, holding each --seed run."""
    for dataset in args.gan_data.split(","):
        for model in args.gan_models.split(","):
            if model not in MODELS:
                raise SystemExit(f"unknown model '{model}': choose from {', '.join(FAMILY_SETTINGS)}")
            started = time.perf_counter()
            name = f"gan_{model}_{dataset}" + (f"_seed{args.seed}" if args.seed else "")   # seed 0 keeps its name
            overrides = [*FAMILY_SETTINGS[model], *QUIET_RUN, f"train.seed={args.seed}"]
            cfg = make_run_config(model, dataset, overrides=overrides, epochs=args.gan_epochs)
            every = max(1, steps_per_epoch(cfg, dataset, args.data_dir) * args.gan_epochs // EVALUATIONS)
            cfg = make_run_config(model, dataset, overrides=[*overrides, f"train.eval_every={every}",
                                                             "train.eval_metrics=fd"], epochs=args.gan_epochs)
            run_dir = fresh_run_dir(name)
            trainer = train_to_the_end(cfg, run_dir, args)
            convergence = watched_against_quality(read_metrics(run_dir / "metrics.jsonl"), WATCHED[model])
            (RESULTS / f"{name}_curves.svg").write_text(curves_svg(f"{model} on {dataset}", convergence))
            evaluation_started = time.perf_counter()
            metrics = SAMPLE_METRICS + (["acc"] if MODELS[model].conditional else [])
            result = evaluate_run(run_dir, metrics, n=10_000, seed=args.seed, data_dir=args.data_dir)
            codes = {}
            if model == "infogan":
                splits = load_dataset(dataset, cfg.data, args.data_dir)
                codes["codes"] = infogan_codes(open_run(run_dir).model, load_feature_network(dataset), args.seed,
                                               real=(splits.test.images, splits.test.labels),
                                               validation=(splits.validation.images, splits.validation.labels))
            write_seed_result(f"gan_{model}_{dataset}", {
                "benchmark": "gan_family", "what": f"{model} trained {args.gan_epochs} epochs on {dataset} (50,000 "
                "train images), FD of 1,000 samples against the validation split every "
                f"{every} steps; then 10,000 samples scored against the test split",
                "config": cfg.to_dict(),
                **{k: result[k] for k in ("model", "dataset", "step", "metrics", "feature_network")},
                **codes, "convergence": convergence, "curves": f"benchmarks/results/{name}_curves.svg",
                "training": {"epochs": args.gan_epochs, "steps": trainer.progress.step,
                             "train_time_s": round(trainer.progress.elapsed, 1), "last_scalars": trainer.last_scalars},
                "evaluation_time_s": round(time.perf_counter() - evaluation_started, 1),
                "provenance": provenance(args.seed, started, trainer.dataset),
            }, gan_across_seeds)


# the figures of a GAN's runs that their result file spreads over seeds, where a run measured them
GAN_FIGURES = {
    "fd": lambda r: r["metrics"]["fd"],
    "kid_x1000": lambda r: 1000 * r["metrics"]["kid"]["value"],
    "precision": lambda r: r["metrics"]["precision"],
    "recall": lambda r: r["metrics"]["recall"],
    "acc": lambda r: r["metrics"].get("acc"),
    **{f"codes.{key}": (lambda r, key=key: r.get("codes", {}).get(key, {}).get("accuracy"))
       for key in ("categorical", "categorical_read_by_q", "categorical_read_by_q_on_validation")},
}
# the figures infogan_choice lists for each candidate run: the code against the classifier on samples, Q's reading
# of the test digits and of the validation digits
CHOICE_FIGURES = ("categorical", "categorical_read_by_q", "categorical_read_by_q_on_validation")


def gan_across_seeds(seeds: list[dict]) -> dict:
    """The spread of a GAN's figures over its seeds and, for InfoGAN's runs whose Q read the validation digits, the
    run chosen among them."""
    summary = {"across_seeds": spread(seeds, GAN_FIGURES)}
    if any("categorical_read_by_q_on_validation" in r.get("codes", {}) for r in seeds):
        summary["chosen"] = infogan_choice(seeds)
    return summary


def infogan_choice(seeds: list[dict]) -> dict:
    """Among InfoGAN's runs, the one whose Q reads the validation digits best against their labels, with that run's
    figures on the test split: one run chosen among several, as Chen et al. chose codes from multiple runs
    (openai/InfoGAN issue #10), without a look at the test split."""
    validated = [r for r in seeds if "categorical_read_by_q_on_validation" in r.get("codes", {})]
    candidates = [{"seed": r["provenance"]["seed"], "commit": r["provenance"]["commit"], "leak": infogan_leak(r),
                   "accuracy": {key: r["codes"][key]["accuracy"] for key in CHOICE_FIGURES}} for r in validated]
    chosen = max(candidates, key=lambda c: c["accuracy"]["categorical_read_by_q_on_validation"])
    return {"rule": "among the runs that read the validation digits, the one whose Q reads them best (its "
                    "categorical code against their labels, under the best one-to-one matching); its test figures "
                    "are reported, the test split having played no part in the choice; left_out_seeds are runs from "
                    "before the validation reading",
            **chosen, "candidates": candidates,
            "left_out_seeds": [r["provenance"]["seed"] for r in seeds if r not in validated]}


# the runs on 2-D points: a name, then the model and its settings beside MLP_4x512. Gulrajani et al.'s own toy code
# (gan_toy.py) gives the WGAN-GP lambda 0.1 ("smaller lambda seems to help for toy tasks") and Adam beta1 0.5; with the
# image settings (10, 0) the generator's samples drift as one blob. Its 1e-4 runs 100,000 updates; for a tenth of that
# the rate is ten times higher (in a 4,500-update trial 1e-4 and 3e-4 sharpened no mode, 1e-3 sharpened 20), and the
# GAN runs at that rate too, so that the rate alone does not decide the comparison. Both decay it linearly to 0, as
# Gulrajani et al.'s CIFAR-10 code does: at a constant 1e-3 the WGAN-GP's samples circle the modes (16, 24, 17, 20 of
# them sharp at 4,000-10,000 updates), and with the decay a trial settled on all 25
DECAYED = ["model.lr=1e-3", "model.lr_decay=true"]
TOY_RUNS = {"gan": ("gan", []), "gan at lr 1e-3, decayed": ("gan", DECAYED), "wgan": ("wgan", []),
            "wgan-gp at lr 1e-3, decayed": ("wgan-gp", ["model.gradient_penalty=0.1", "model.beta1=0.5", *DECAYED])}
def train_on_toy(model_name: str, settings: list[str], target, steps: int,
                 seed: int) -> tuple[torch.Tensor, list[dict], float]:
    """A GAN of the MLP_4x512 networks trained on points of ``target`` (genzoo.toy.ToyGame, the game the live page of
    'genzoo serve --toy' plays); returns 2,500 of its samples in the target's coordinates, the target's scores of such
    samples five times along the run (a collapsing GAN hops between modes), and the training seconds."""
    game = ToyGame(model_name, target, settings, seed, steps)
    along, seconds = [], 0.0
    for step in range(1, steps + 1):
        started = time.perf_counter()
        game.train_step()
        seconds += time.perf_counter() - started
        if step % (steps // 5) == 0:
            along.append({"step": step, **{k: v for k, v in target.score(game.samples()).items()
                                           if k in ("modes_covered", "high_quality_share",
                                                    "nearest_mode_kl_to_uniform")}})
    return game.samples(), along, seconds


def scatter(panels: dict[str, torch.Tensor], centres: torch.Tensor, path, size: int = 300) -> None:
    """Samples (black) over the mixture's centres (red), one square panel per model, titled."""
    image = Image.new("RGB", (size * len(panels), size + 20), "white")
    draw = ImageDraw.Draw(image)
    for i, (title, points) in enumerate(panels.items()):
        def pixel(p: torch.Tensor, i: int = i) -> tuple[float, float]:
            return i * size + (p[0].item() / 11 + 0.5) * size, 20 + (0.5 - p[1].item() / 11) * size
        draw.text((i * size + 8, 4), title, fill="black")
        draw.rectangle([i * size, 20, (i + 1) * size - 1, size + 19], outline="grey")
        for p in points:
            x, y = pixel(p)
            draw.point((x, y), fill="black")
        for c in centres:
            x, y = pixel(c)
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], outline="red")
    image.save(path)


def gan_modes(args: argparse.Namespace) -> None:
    """Mode collapse, as the lecture's WGAN slide claims it: the same MLP (4 x 512) trained as a standard GAN and
    as a WGAN (clipping, and gradient penalty), on the 25-Gaussian grid and on MNIST."""
    started = time.perf_counter()
    target = grid25(std=args.toy_std)
    toy, panels = {}, {}
    for run, (model, settings) in TOY_RUNS.items():
        points, along, seconds = train_on_toy(model, settings, target, args.toy_steps, args.seed)
        toy[run] = {"generator_steps": args.toy_steps, "train_time_s": round(seconds, 1), **target.score(points),
                    "along_the_run": along}
        panels[f"{run}: {toy[run]['modes_covered']}/25 modes"] = points
    scatter(panels, target.centres, RESULTS / "gan_modes_grid25.png")
    mnist = {}
    for model in ("gan", "wgan"):   # the same number of generator updates: a WGAN's epoch has n_critic times fewer
        run_dir = fresh_run_dir(f"gan_modes_{model}_mnist")
        overrides = [*MLP_4x512[model], *QUIET_RUN, f"train.seed={args.seed}", f"train.max_steps={args.modes_steps}"]
        per_epoch = steps_per_epoch(make_run_config(model, "mnist", overrides=overrides), "mnist", args.data_dir)
        cfg = make_run_config(model, "mnist", overrides=overrides, epochs=math.ceil(args.modes_steps / per_epoch))
        trainer = train_to_the_end(cfg, run_dir, args)
        result = evaluate_run(run_dir, ["fd", "kid", "pr", "modes"], n=10_000, seed=args.seed, data_dir=args.data_dir)
        mnist[model] = {"config": cfg.to_dict(), "step": result["step"], "metrics": result["metrics"],
                        "train_time_s": round(trainer.progress.elapsed, 1)}
    write_result("gan_modes", {
        "benchmark": "gan_modes",
        "what": "mode collapse of an MLP generator (4 layers, 3 hidden of 512 ReLU units; the critic or discriminator "
                "the same shape) trained as a standard GAN (non-saturating loss, Adam 2e-4) and as a WGAN "
                f"(clipping 0.01, RMSProp 5e-5) and a WGAN-GP: on the 5x5 grid of Gaussians (std {args.toy_std}, "
                f"spacing 2; {args.toy_steps} generator updates each, the x-axis of Arjovsky et al. 2017's curves, "
                "scored on 2,500 samples: a sample is high quality "
                "within 3 std of a centre, a mode covered with at least 20 of them; WGAN-GP with lambda 0.1 and Adam "
                "beta1 0.5 as in Gulrajani et al.'s toy code, at 1e-3 where its 1e-4 runs ten times as long, and the "
                "GAN at 2e-4 and at 1e-3; both 1e-3 rates decayed linearly to 0 over the run) and on MNIST "
                f"({args.modes_steps} generator updates each; classes of 10,000 samples by genzoo's classifier)",
        "grid25": toy, "grid25_picture": "benchmarks/results/gan_modes_grid25.png", "mnist": mnist,
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


# Salimans et al. 2016's techniques, each switched on alone in the dcgan of FAMILY_SETTINGS
TECHNIQUES = {
    "none (baseline)": [],
    "feature matching (Section 3.1)": ["model.feature_matching=true"],
    "minibatch discrimination (Section 3.2)": ["model.minibatch_kernels=100"],
    "historical averaging (Section 3.3)": ["model.historical_averaging=1.0"],
    "one-sided label smoothing (Section 3.4)": ["model.real_label=0.9"],
    "virtual batch normalization (Section 3.5)": ["model.virtual_batch_norm=true"],
}


def gan_ablation(args: argparse.Namespace) -> None:
    """The Improved-GAN ablation: the dcgan with each technique of Salimans et al. 2016 switched on alone, on the same
    seed and budget; FD, KID and classifier score of 10,000 samples against the MNIST test split."""
    started = time.perf_counter()
    rows = {}
    for technique, settings in TECHNIQUES.items():
        run_dir = fresh_run_dir(f"gan_ablation_{len(rows)}")
        cfg = make_run_config("dcgan", "mnist", overrides=[*FAMILY_SETTINGS["dcgan"], *settings, *QUIET_RUN,
                                                           f"train.seed={args.seed}"], epochs=args.ablation_epochs)
        trainer = train_to_the_end(cfg, run_dir, args)
        result = evaluate_run(run_dir, ["fd", "kid", "cs", "pr", "modes"], n=10_000, seed=args.seed,
                              data_dir=args.data_dir)
        rows[technique] = {"settings": settings, "step": result["step"], "metrics": result["metrics"],
                           "train_time_s": round(trainer.progress.elapsed, 1), "last_scalars": trainer.last_scalars}
    write_result("gan_ablation", {
        "benchmark": "gan_ablation",
        "what": f"dcgan (generator and discriminator width 32) trained {args.ablation_epochs} epochs on MNIST with "
                "each Improved-GAN technique (Salimans et al. 2016) switched on alone, same seed and budget; "
                "10,000 samples scored against the test split",
        "config": cfg.to_dict(), "techniques": rows, "feature_network": result["feature_network"],
        "provenance": provenance(args.seed, started, trainer.dataset),
    })
