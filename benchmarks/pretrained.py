"""The models genzoo ships: one per family trained on MNIST (the GANs on Fashion-MNIST too, where the size budget
leaves room), exported to genzoo/pretrained/ as safetensors with a card, and scored from the shipped file itself.

    python -m benchmarks.run pretrained                           # every recipe: train, export, re-score, ship
    python -m benchmarks.run pretrained --models dcgan-mnist,rbm-mnist   # some; merged into pretrained.json
    python -m benchmarks.run pretrained --from-runs benchmarks/runs      # reuse finished runs of the recipe's config
    python -m benchmarks.run pretrained --smoke                   # 3 steps, tiny scoring, into a temporary folder

Each recipe is the model's defaults (``genzoo train MODEL --data DATA``, what a user's first command gives, so the
defaults benchmark's runs can be reused) or, for the RBM, the DBN and InfoGAN, whose files must reach published rows,
the configuration of the benchmark behind the README's headline row. InfoGAN's figure hangs on its seed, so its
recipe tries several seeds for a few epochs, reads each on the validation split and trains the best ones on, round
by round, as its benchmark chose among seeds (see SeedChoice). A run is trained (or found among --from-runs: a
finished run whose model, data and training settings equal the recipe's), exported, opened again from the exported
file and scored there: the figures in the card and in benchmarks/results/pretrained.json are those of the shipped
file, not of the training run. The storage is decided per model: float16 for the GANs; for a model with a likelihood,
float16 where its re-scored log-likelihood stays within the float32 file's standard error, else float32.
Files are staged and moved into the package only when all of them together stay within SIZE_BUDGET bytes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

import genzoo.pretrained
from benchmarks.adversarial import steps_per_epoch
from benchmarks.common import COMMIT_AT_START, RESULTS, RUNS, command_line, train_to_the_end, write_result
from genzoo import config as configs
from genzoo.data import load_dataset
from genzoo.data.captions import CANVAS
from genzoo.data.images import ImageSet
from genzoo.evaluate.codes import infogan_codes
from genzoo.evaluate.features import load_feature_network
from genzoo.evaluate.suite import DEFAULT_METRICS, evaluate_trained
from genzoo.export import export_run
from genzoo.models.base import GenerativeModel
from genzoo.provenance import stamp
from genzoo.registry import MODELS
from genzoo.run import CONFIG_FILE, OpenedRun, RunConfig, build_model, make_run_config, open_run, open_shipped, resume
from genzoo.train.loop import CHECKPOINT
from genzoo.weights_file import names_in, read_card, write_card

RESULT = "pretrained"
SIZE_BUDGET = 40_000_000   # bytes of every shipped file together (weights and cards), inside the package
SAMPLE_SECONDS = 10.0      # 'genzoo sample pretrained:NAME -n 64' should take less on 2 cores
FAST_SWEEPS = 300          # Gibbs sweeps per sample of a shipped RBM, as the DBN and DBM benchmarks sample (1,000 took
                           # 10 s for 64 samples on 2 busy cores)
# training settings that change what a run records, not what it computes: ignored when --from-runs compares configs
BOOKKEEPING = {"log_every", "sample_every", "checkpoint_every", "checkpoint_minutes", "progress_seconds", "grid_size",
               "eval_every", "eval_metrics", "eval_samples", "eval_classifier"}
AIS = {"betas": 14_500, "chains": 100}
SMOKE_BUDGET = {"k": 2, "betas": 20, "chains": 4, "samples": 2}
SMOKE_SAMPLES, SMOKE_STEPS, SMOKE_NLL_IMAGES = 100, 3, 20
INFOGAN_NOTE = ("only the generator is shipped, what sampling needs: D and Q (their shared body and heads) would add "
                "about 13 MB more in float16, beyond the 40 MB budget; so this file cannot start a training run "
                "(--init), and Q's reading of the codes cannot be scored from it")
DBM_NOTE = ("the pretraining RBMs are left out: they are spent once the DBM is composed from them, and neither "
            "sampling, the likelihood nor fine-tuning (a dbm trains layer by layer first) uses them")


@dataclass(frozen=True)
class SeedChoice:
    """Training seeds tried for a model whose figure hangs on its seed, by successive halving (Jamieson & Talwalkar
    2016): every seed is trained for the first round's epochs and read on the validation split (the test split plays
    no part), the best ``keep`` of them go on to the next round's epochs, and the last one left is trained on to the
    recipe's length. Each step on resumes a run, which gives exactly the run an uninterrupted training with that seed
    gives where no schedule depends on the run's length (InfoGAN's Adam has none)."""

    seeds: tuple[int, ...]
    rounds: tuple[tuple[int, int], ...]   # (epochs a round trains each seed to, how many seeds go on after it)


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made: its model and data, --set pairs over the model's defaults and its epochs (none:
    the defaults), the likelihood budget it is scored with, what the file leaves out, whether it ships only where
    the size budget leaves room, and, for a model whose figure hangs on its seed, how its seed is chosen."""

    name: str
    model: str
    dataset: str = "mnist"
    settings: tuple[str, ...] = ()
    epochs: int | None = None
    benchmark: str = "defaults"   # where the configuration comes from
    budget: tuple[tuple[str, int], ...] = ()
    omit: tuple[str, ...] = ()
    note: str = ""
    sampling: tuple[tuple[str, int], ...] = ()   # model options of the shipped file's sampler (export_run's sampling)
    optional: bool = False
    seed_choice: SeedChoice | None = None   # none: trained at --seed


def recipes() -> list[Recipe]:
    """Every shipped model, the required ones first; the RBM, the DBN and InfoGAN at their headline benchmark's
    settings."""
    from benchmarks.run import DBN_SETTINGS, RBM_SETTINGS  # here: benchmarks.run imports this module

    ais = tuple(AIS.items())
    gans = ("gan", "dcgan", "cgan", "wgan", "wgan-gp")
    # the VAE and the Helmholtz machines are scored with their own default k (1,000), as 'genzoo eval' scores them:
    # the headline rows' 5,000 took 18 minutes a file on 2 cores, and each file is scored twice to choose its storage
    return [
        Recipe("helmholtz-ws-mnist", "helmholtz"),
        Recipe("helmholtz-rws-mnist", "helmholtz", settings=("model.algorithm=reweighted",)),
        Recipe("rbm-mnist", "rbm", settings=tuple(RBM_SETTINGS), epochs=200, benchmark="rbm_mnist", budget=ais,
               sampling=(("sample_steps", FAST_SWEEPS),)),
        Recipe("dbn-mnist", "dbn", settings=(*DBN_SETTINGS, "model.layer_shares=[200,100]"), epochs=300,
               benchmark="dbn_mnist", budget=(*ais, ("samples", 100))),
        Recipe("dbm-mnist", "dbm", budget=ais, omit=("pretraining.",), note=DBM_NOTE),
        Recipe("vae-mnist", "vae"),
        *[Recipe(f"{model}-mnist", model) for model in gans],
        # Q read the test digits' classes at 74-97% in the gan_family benchmark's six 13-epoch runs, by the seed alone;
        # after 2 epochs Q read the validation digits at 63-71% (seeds 0-3) against 87-97% for that benchmark's runs,
        # too early to tell the seeds apart surely, so the best two of the first round go on to 6 epochs
        Recipe("infogan-mnist", "infogan", epochs=13, benchmark="gan_family",
               seed_choice=SeedChoice(tuple(range(8)), ((2, 2), (6, 1))),
               omit=("body.", "real_or_fake.", "code_posterior."), note=INFOGAN_NOTE),
        Recipe("stackgan-mnist-captions", "stackgan", dataset="mnist-captions"),
        *[Recipe(f"{model}-fashion-mnist", model, dataset="fashion-mnist", optional=True) for model in gans],
    ]


def defines_likelihood(model: str) -> bool:
    return MODELS[model].log_likelihood is not GenerativeModel.log_likelihood


def comparable(config: dict[str, Any]) -> dict[str, Any]:
    """What a run computes: its config without the seed-independent bookkeeping of the training loop."""
    return {**config, "preset": config.get("preset", "default"),
            "train": {k: v for k, v in config["train"].items() if k not in BOOKKEEPING}}


def find_run(directory: Path, cfg: RunConfig) -> Path | None:
    """A finished run in ``directory`` (or one folder down) whose config equals ``cfg`` but for bookkeeping."""
    wanted = comparable(cfg.to_dict())
    for candidate in [directory, *sorted(p for p in directory.iterdir() if p.is_dir())]:
        if not (candidate / CHECKPOINT).is_file() or not (candidate / CONFIG_FILE).is_file():
            continue
        if comparable(configs.read_yaml(candidate / CONFIG_FILE)) == wanted and open_run(candidate).progress.get(
                "finished"):
            return candidate
    return None


def recipe_config(recipe: Recipe, args: argparse.Namespace, seed: int) -> tuple[RunConfig, list[str]]:
    """The recipe's run config at training seed ``seed`` (3 steps in a smoke run), and its --set pairs."""
    smoke = [f"train.max_steps={SMOKE_STEPS}"] if args.smoke else []
    settings = [*recipe.settings, f"train.seed={seed}", *smoke]
    return make_run_config(recipe.model, recipe.dataset, overrides=settings, epochs=recipe.epochs), settings


def train_command(recipe: Recipe, settings: list[str]) -> str:
    epochs = [f"--epochs {recipe.epochs}"] if recipe.epochs else []
    return " ".join(["genzoo train", recipe.model, "--data", recipe.dataset, *epochs,
                     *[f"--set {pair}" for pair in settings]])


def trained_run(recipe: Recipe, args: argparse.Namespace, runs: Path) -> tuple[Path, str, dict | None]:
    """The recipe's run directory, how it was obtained (found among --from-runs, or trained now) and, where the
    recipe chooses its seed, the choice."""
    if recipe.seed_choice:
        return chosen_run(recipe, recipe.seed_choice, args, runs)
    cfg, settings = recipe_config(recipe, args, args.seed)
    if args.from_runs and (found := find_run(Path(args.from_runs), cfg)):
        return found, f"reused: {found}", None
    run_dir = runs / f"pretrained_{recipe.name}"
    shutil.rmtree(run_dir, ignore_errors=True)
    train_to_the_end(cfg, run_dir, args)
    return run_dir, train_command(recipe, settings), None


def chosen_run(recipe: Recipe, choice: SeedChoice, args: argparse.Namespace,
               runs: Path) -> tuple[Path, str, dict]:
    """The seeds trained and read round by round (a round is one step longer than the last in a smoke run), the
    last one left resumed to the recipe's length. A candidate already trained for the first round with the same
    config is reused from --from-runs' folder rather than trained again."""
    cfg, _ = recipe_config(recipe, args, choice.seeds[0])
    per_epoch = steps_per_epoch(cfg, recipe.dataset, args.data_dir)
    validation = load_dataset(recipe.dataset, cfg.data, args.data_dir).validation
    alive, rounds = list(choice.seeds), []
    for number, (epochs, keep) in enumerate(choice.rounds):
        steps = number + 1 if args.smoke else epochs * per_epoch
        readings = {}
        for seed in alive:
            run_dir = runs / f"pretrained_{recipe.name}_seed{seed}"
            if number:
                resume_to(run_dir, steps, recipe, args)
            else:
                cfg, _ = recipe_config(recipe, args, seed)
                cfg = replace(cfg, train=replace(cfg.train, max_steps=steps))
                if not (args.from_runs and run_dir.is_dir() and find_run(run_dir, cfg) == run_dir):
                    shutil.rmtree(run_dir, ignore_errors=True)
                    train_to_the_end(cfg, run_dir, args)
            readings[seed] = validation_reading(open_run(run_dir).model, validation, recipe, args)
            print(f"{recipe.name}, seed {seed}: {readings[seed]:.4f} on the validation split after {steps:,} steps")
        alive = sorted(alive, key=lambda seed: readings[seed], reverse=True)[:keep]
        rounds.append({"steps": steps, "validation_readings": readings, "kept": alive})
    best = alive[0]
    cfg, settings = recipe_config(recipe, args, best)
    run_dir = runs / f"pretrained_{recipe.name}_seed{best}"
    resume_to(run_dir, SMOKE_STEPS if args.smoke else cfg.train.epochs * per_epoch, recipe, args)
    return run_dir, train_command(recipe, settings), {
        "rule": "successive halving on the validation split: each round trains its seeds to its steps and keeps those "
                "whose Q reads the validation digits' classes best (the categorical code against their labels under "
                "the best one-to-one matching); the last one left is trained on to the end by resuming it; the test "
                "split played no part",
        "rounds": rounds, "chosen_seed": best}


def resume_to(run_dir: Path, steps: int, recipe: Recipe, args: argparse.Namespace) -> None:
    """A candidate's run trained on to ``steps``; an interrupted one stops the benchmark, shipping nothing."""
    outcome, trainer = resume(run_dir, max_steps=steps, data_dir=args.data_dir, progress_bar=not args.quiet)
    if outcome != "finished":
        raise SystemExit(f"{recipe.name}: interrupted at step {trainer.progress.step}: nothing shipped")


def validation_reading(model: GenerativeModel, validation: ImageSet, recipe: Recipe, args: argparse.Namespace) -> float:
    """How well an InfoGAN's Q reads the validation digits' classes from its categorical code."""
    codes = infogan_codes(model, load_feature_network(recipe.dataset), args.seed,
                          n=SMOKE_SAMPLES if args.smoke else 1_000,
                          validation=(validation.images, validation.labels))
    return codes["categorical_read_by_q_on_validation"]["accuracy"]


def scoring(recipe: Recipe, args: argparse.Namespace) -> dict[str, Any]:
    """The evaluation settings: 10,000 samples and the recipe's likelihood budget, or tiny ones in a smoke run."""
    if args.smoke:
        return {"n": SMOKE_SAMPLES, "budget": SMOKE_BUDGET, "nll_images": SMOKE_NLL_IMAGES}
    return {"n": 10_000, "budget": dict(recipe.budget), "nll_images": None}


def score(directory: Path, name: str, metrics: list[str] | None, recipe: Recipe,
          args: argparse.Namespace) -> dict[str, Any]:
    """'genzoo eval' of the exported file ``name`` in ``directory`` (not of its run): the evaluation as eval.json
    holds it."""
    started = time.perf_counter()
    opened = open_shipped(directory, name, torch.device("cpu"))
    settings = scoring(recipe, args)
    result = evaluate_trained(opened.model, opened.config, metrics, settings["n"], args.seed, settings["budget"],
                              settings["nll_images"], data_dir=args.data_dir)
    return {**result, "provenance": stamp(args.seed, started, command_line(), COMMIT_AT_START)}


def storage_of(recipe: Recipe, run_dir: Path, staging: Path, args: argparse.Namespace) -> tuple[str, dict]:
    """float16 for a model without a likelihood; with one, float16 where the float16 file's log-likelihood stays
    within the float32 file's standard error of it (the same seed, so the same estimator's draws), else float32.
    Returns the storage and the trial's log-likelihoods."""
    if not defines_likelihood(recipe.model):
        return "float16", {"rule": "float16 for a model scored by its samples alone"}
    trials = {}
    for storage in ("float32", "float16"):
        folder = staging / f"trial-{storage}"
        export_run(run_dir, folder, recipe.name, storage, recipe.omit, recipe.note, sampling=dict(recipe.sampling))
        trials[storage] = score(folder, recipe.name, ["nll"], recipe, args)["metrics"]["log_likelihood"]
    difference = abs(trials["float16"]["value"] - trials["float32"]["value"])
    chosen = "float16" if difference <= trials["float32"]["stderr"] else "float32"
    return chosen, {"rule": "float16 if its log-likelihood is within the float32 file's standard error of it",
                    "float32": trials["float32"], "float16": trials["float16"], "difference_nats": difference}


def codes_read_by_q(trained: OpenedRun, recipe: Recipe, args: argparse.Namespace) -> dict[str, Any]:
    """An InfoGAN's codes measured on its training run, whose D and Q the shipped file leaves out: the categorical
    code read by Q on the test digits (the README's row), and the samples' codes against the feature network's
    classes (Chen et al. 2016, Section 7.1)."""
    test = load_dataset(recipe.dataset, trained.config.data, args.data_dir).test
    n = SMOKE_SAMPLES if args.smoke else 10_000
    return infogan_codes(trained.model, load_feature_network(recipe.dataset), args.seed, n=n,
                         real=(test.images, test.labels))


def sampling_seconds(directory: Path, name: str) -> float:
    """Wall seconds of 64 samples from the file, as 'genzoo sample pretrained:NAME -n 64' draws them."""
    started = time.perf_counter()
    opened = open_shipped(directory, name, torch.device("cpu"))
    with torch.no_grad():
        opened.model.sample(64, torch.Generator().manual_seed(0),
                            torch.arange(64) % len(opened.classes) if opened.model.conditional else None)
    return round(time.perf_counter() - started, 2)


def ship_one(recipe: Recipe, args: argparse.Namespace, staging: Path, runs: Path) -> dict[str, Any]:
    """Train (or reuse), export into ``staging`` in the storage decided, re-score the file; its result row."""
    started = time.perf_counter()
    run_dir, made_by, seed_choice = trained_run(recipe, args, runs)
    trained = open_run(run_dir)
    storage, decision = storage_of(recipe, run_dir, staging, args)
    provenance = {"trained_by": made_by, "recipe": recipe.benchmark, "seed": trained.config.train.seed,
                  **({"seed_choice": seed_choice} if seed_choice else {}),
                  "data": {"name": recipe.dataset, **trained.record.get("data_provenance", {})},
                  "train_time_s": round(trained.progress["elapsed"], 1),
                  "exported_by": stamp(args.seed, started, command_line(), COMMIT_AT_START)}
    card = export_run(run_dir, staging, recipe.name, storage, recipe.omit, recipe.note, provenance,
                      dict(recipe.sampling))
    measured_nll = "float32" in decision and decision[storage]
    metrics = None
    if measured_nll:   # the chosen trial file is this file, byte for byte: its log-likelihood is not scored twice
        if read_card(staging / f"trial-{storage}", recipe.name)["weights"]["sha256"] != card["weights"]["sha256"]:
            raise SystemExit(f"{recipe.name}: the export differs from its {storage} trial: its figures would not be "
                             "the shipped file's")
        metrics = [m for m in DEFAULT_METRICS if m != "nll"]
    figures = score(staging, recipe.name, metrics, recipe, args)
    if measured_nll:
        figures["metrics"]["log_likelihood"] = measured_nll
        figures["metrics_asked"] = [*figures["metrics_asked"], "nll"]
    seconds = sampling_seconds(staging, recipe.name)
    card = {**card, "figures": {**figures, "sample_64_seconds": seconds}, "storage_decision": decision}
    if recipe.model == "infogan":   # Q is left out of the file: its reading of the codes is the training run's
        card["training_run_figures"] = {"codes": codes_read_by_q(trained, recipe, args), "why": recipe.note}
    write_card(staging, recipe.name, card)
    if seconds > SAMPLE_SECONDS:
        print(f"warning: 64 samples of {recipe.name} took {seconds:.1f} s, over {SAMPLE_SECONDS:.0f} s: lower its "
              "model.sample_steps", file=sys.stderr)
    return {"name": recipe.name, "model": recipe.model, "dataset": recipe.dataset, "recipe": recipe.benchmark,
            "config": trained.config.to_dict(), "storage": storage, "storage_decision": decision,
            "weights": card["weights"], "figures": figures, "sample_64_seconds": seconds,
            "training_run_figures": card.get("training_run_figures"),
            "training": {"steps": trained.progress["step"], "train_time_s": round(trained.progress["elapsed"], 1),
                         "made_by": made_by, **({"seed_choice": seed_choice} if seed_choice else {})},
            "provenance": {**stamp(args.seed, started, command_line(), COMMIT_AT_START), "data": provenance["data"]}}


def planned_bytes(recipe: Recipe) -> tuple[int, int]:
    """The bytes of a recipe's weights before any training (they depend on its sizes alone), with every float32 in
    float16, and in the storage its model may end with (float32 for a model with a likelihood); StackGAN's text
    encoder, built from its training captions, is not counted."""
    cfg = make_run_config(recipe.model, recipe.dataset, overrides=list(recipe.settings), epochs=recipe.epochs)
    captions = recipe.dataset == "mnist-captions"   # canvases of cells, each a digit or empty
    shape = (1, CANVAS, CANVAS) if captions else load_feature_network(recipe.dataset).image_shape   # without the data
    model = build_model(cfg, shape, 11 if captions else 10)
    tensors = [v for k, v in model.state_dict().items()
               if isinstance(v, torch.Tensor) and not k.startswith(recipe.omit)]
    halves = sum(v.numel() * (2 if v.dtype == torch.float32 else v.element_size()) for v in tensors)
    whole = sum(v.numel() * v.element_size() for v in tensors)
    return halves, whole if defines_likelihood(recipe.model) else halves


def check_plan(chosen: list[Recipe], already: int) -> None:
    """Before any training: stop if the required recipes cannot fit the budget even in float16; warn if they fit
    only where the likelihood models turn out to keep their figures in float16."""
    required = [planned_bytes(recipe) for recipe in chosen if not recipe.optional]
    least, most = already + sum(low for low, _ in required), already + sum(high for _, high in required)
    print(f"planned: {least / 1e6:.1f} to {most / 1e6:.1f} MB of the {SIZE_BUDGET / 1e6:.0f} MB budget for the "
          "required models (with what is shipped already), the optional ones where room is left")
    if least > SIZE_BUDGET:
        raise SystemExit("the required models cannot fit the size budget even in float16: nothing trained; leave "
                         "more out (Recipe.omit) or narrow a model")
    if most > SIZE_BUDGET:
        print("warning: they fit only if enough likelihood models keep their log-likelihood in float16",
              file=sys.stderr)


def files_of(directory: Path, name: str) -> list[Path]:
    return [directory / f"{name}.safetensors", directory / f"{name}.json"]


def size_of(directory: Path, names: list[str]) -> int:
    return sum(path.stat().st_size for name in names for path in files_of(directory, name) if path.exists())


def chosen_recipes(args: argparse.Namespace) -> list[Recipe]:
    everything = recipes()
    if not args.models:
        return everything
    known = {recipe.name: recipe for recipe in everything}
    wanted = args.models.split(",")
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"unknown shipped model '{unknown[0]}': choose from {', '.join(known)}")
    return [known[name] for name in wanted]


def ship(chosen: list[Recipe], args: argparse.Namespace, output: Path, runs: Path) -> dict[str, dict]:
    """Make ``chosen`` into ``output``, within the size budget together with what ``output`` ships already; an
    optional recipe is left out where it does not fit. Nothing is moved into ``output`` if the required ones do not
    fit. Returns the rows of the models shipped."""
    output.mkdir(parents=True, exist_ok=True)
    check_plan(chosen, size_of(output, [name for name in names_in(output) if name not in {r.name for r in chosen}]))
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(dir=output, prefix=".staging-") as staged:
        staging = Path(staged)
        for recipe in chosen:
            rows[recipe.name] = ship_one(recipe, args, staging, runs)
            print(f"{recipe.name}: {rows[recipe.name]['storage']}, {size_of(staging, [recipe.name]) / 1e6:.2f} MB, "
                  f"64 samples in {rows[recipe.name]['sample_64_seconds']:.1f} s")
        kept = [name for name in names_in(output) if name not in rows]
        total = size_of(output, kept)
        for recipe in chosen:
            size = size_of(staging, [recipe.name])
            if recipe.optional and total + size > SIZE_BUDGET:
                print(f"{recipe.name} left out: {size / 1e6:.2f} MB more would pass the {SIZE_BUDGET / 1e6:.0f} MB "
                      "budget")
                del rows[recipe.name]
                continue
            total += size
        if total > SIZE_BUDGET:
            sizes = ", ".join(f"{name} {size_of(staging, [name]) / 1e6:.1f} MB" for name in rows)
            raise SystemExit(f"the shipped files would take {total / 1e6:.1f} MB, over the {SIZE_BUDGET / 1e6:.0f} MB "
                             f"budget ({sizes}): nothing shipped; leave more out (Recipe.omit) or narrow a model")
        for name in rows:
            for path in files_of(staging, name):
                path.replace(output / path.name)
    print(f"shipped {len(rows)} models into {output}: {size_of(output, names_in(output)) / 1e6:.1f} MB in all")
    return rows


def pretrained(args: argparse.Namespace) -> None:
    """The recipes of --models (default: all), trained or reused, exported into genzoo/pretrained/ (a temporary
    folder with --smoke) and scored from the files; rows merged into benchmarks/results/pretrained.json."""
    chosen = chosen_recipes(args)
    if args.smoke:
        scratch = Path(tempfile.mkdtemp(prefix="genzoo-pretrained-smoke-"))
        output, runs, path = scratch / "pretrained", scratch / "runs", scratch / f"{RESULT}.json"
    else:
        output, runs, path = genzoo.pretrained.DIRECTORY, RUNS, RESULTS / f"{RESULT}.json"
    rows = ship(chosen, args, output, runs)
    earlier = json.loads(path.read_text())["models"] if path.exists() else {}
    merged = {**earlier, **rows}
    result = {
        "benchmark": RESULT,
        "what": "the models genzoo ships (genzoo/pretrained/): each trained by its recipe, exported as safetensors "
                "with a card, then scored from the exported file itself with 'genzoo eval' at 10,000 samples and "
                "the likelihood budget of its headline benchmark; float16 where it changes no log-likelihood beyond "
                "its standard error" + ("; SMOKE RUN: 3 steps, tiny scoring, figures meaningless" if args.smoke
                                        else ""),
        "models": {name: merged[name] for name in [r.name for r in recipes()] if name in merged},
        "total_bytes": size_of(output, names_in(output)), "size_budget_bytes": SIZE_BUDGET,
        "provenance": next(iter(rows.values()))["provenance"] if rows else {},
    }
    if args.smoke:
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"smoke run: shipped files in {output}, rows in {path}")
    else:
        write_result(RESULT, result)

