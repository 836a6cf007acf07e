"""What the defaults give: every model trained and scored as a new user would, by the README's first commands.

    python -m benchmarks.run defaults                       # every model: genzoo train NAME --data mnist; genzoo eval
    python -m benchmarks.run defaults --models gan,cgan     # some models, merged into benchmarks/results/defaults.json
    python -m benchmarks.run defaults --smoke               # 3 steps and a tiny evaluation of each: checks the code
                                                            # path, writes benchmarks/runs/defaults_smoke.json only

It is the check that the defaults stay good: rerun it for a model whenever one of its defaults changes. Each model
is trained by ``genzoo train NAME --data mnist`` (stackgan: mnist-captions) with nothing else but ``--out``, then
scored by ``genzoo eval RUN``, both through the command line's own code; the wall time of each is recorded. A caption
model, which 'genzoo eval' cannot score (mnist-captions canvases have no feature network), is scored as the
stackgan_captions benchmark scores it: Stage-II images drawn from the test captions, matched by the region checker.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from benchmarks.common import COMMIT_AT_START, RESULTS, RUNS, fresh_run_dir, write_result
from genzoo import cli
from genzoo.data import load_dataset
from genzoo.evaluate.caption_match import load_region_checker
from genzoo.evaluate.frechet import frechet_distance
from genzoo.evaluate.text_image import match
from genzoo.provenance import stamp
from genzoo.registry import MODELS
from genzoo.run import open_run

RESULT = "defaults"
SMOKE_RESULT = RUNS / "defaults_smoke.json"   # a smoke run's rows: not a result, never in the tables
SMOKE_TRAIN = ["--max-steps", "3"]
SMOKE_EVAL = ["-n", "100", "--k", "2", "--betas", "20", "--chains", "4", "--nll-images", "20"]
SMOKE_CAPTIONS = 100


def dataset_of(name: str) -> str:
    """The dataset of a model's first command in the README: mnist, or mnist-captions for a caption model."""
    return "mnist-captions" if MODELS[name].text_conditioned else "mnist"


def genzoo(arguments: list[str]) -> float:
    """Run one genzoo command in this process, as the command line would; its wall seconds, or exit on failure."""
    started = time.perf_counter()
    code = cli.main(arguments)
    if code:
        sys.exit(f"'genzoo {' '.join(arguments)}' failed with exit status {code}: no result written")
    return time.perf_counter() - started


def caption_scores(run_dir: Path, args: argparse.Namespace) -> dict:
    """A caption model's Stage-II images of the test captions, conditions drawn as the paper samples: their caption
    match by the region checker and their FD in its feature space, against the test canvases."""
    opened = open_run(run_dir)
    test = load_dataset("mnist-captions", opened.config.data, args.data_dir).test
    captions = test.captions[:SMOKE_CAPTIONS] if args.smoke else test.captions
    _, stage2 = opened.model.generate_from_text(captions, torch.Generator().manual_seed(args.seed))
    checker = load_region_checker()
    return {"caption_match": match(stage2, captions, checker)["caption_match"],
            "fd": frechet_distance(checker.features(stage2), checker.features(test.images[:len(captions)])),
            "scored_by": "the stackgan_captions benchmark's scoring: Stage-II of each test caption, conditions drawn; "
                         "FD in the region checker's feature space"}


def train_and_score(name: str, args: argparse.Namespace) -> dict:
    """One model at its defaults: trained, then scored; its row with the commands, times and provenance."""
    started = time.perf_counter()
    data = dataset_of(name)
    run_dir = fresh_run_dir(f"{RESULT}_{name}")
    where = ["--data-dir", args.data_dir] if args.data_dir else []
    seeded = ["--set", f"train.seed={args.seed}"] if args.seed else []
    train = ["train", name, "--data", data, *seeded]
    train_s = genzoo([*train, "--out", str(run_dir), "--quiet", *where, *(SMOKE_TRAIN if args.smoke else [])])
    if MODELS[name].text_conditioned:
        scoring_started = time.perf_counter()
        scored = {"metrics": caption_scores(run_dir, args)}
        eval_s, scored_by = time.perf_counter() - scoring_started, "caption match (stackgan_captions' scoring)"
    else:
        evaluate = ["eval", str(run_dir), "--seed", str(args.seed), *(SMOKE_EVAL if args.smoke else [])]
        eval_s = genzoo([*evaluate, *where])
        scored_by = "genzoo eval RUN" + (f" --seed {args.seed}" if args.seed else "")
        scored = json.loads((run_dir / "eval.json").read_text())
    opened = open_run(run_dir)
    record = opened.record
    return {
        "model": name, "dataset": data, "preset": opened.config.preset,
        "commands": [f"genzoo {' '.join(train)}", scored_by],
        "config": opened.config.to_dict(),
        "training": {"epochs": opened.config.train.epochs, "steps": opened.progress["step"],
                     "train_time_s": round(opened.progress["elapsed"], 1), "wall_time_s": round(train_s, 1),
                     "last_scalars": opened.scalars},
        "evaluation_wall_time_s": round(eval_s, 1),
        "metrics": scored["metrics"], "feature_network": scored.get("feature_network"),
        "provenance": {**stamp(args.seed, started, [Path(sys.executable).name, *sys.argv], COMMIT_AT_START),
                       "data": {"name": data, **record.get("data_provenance", {})}},
    }


def defaults(args: argparse.Namespace) -> None:
    """Each model of --models (default: every registered one) trained and scored at its defaults; the rows are merged
    into the result file, one model at a time, so that a run stopped part way keeps the models it finished."""
    names = args.models.split(",") if args.models else list(MODELS)
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise SystemExit(f"unknown model '{unknown[0]}': choose from {', '.join(MODELS)}")
    path = SMOKE_RESULT if args.smoke else RESULTS / f"{RESULT}.json"
    rows = json.loads(path.read_text())["models"] if path.exists() else {}
    for name in names:
        rows[name] = train_and_score(name, args)
        ordered = {model: rows[model] for model in MODELS if model in rows}
        result = {
            "benchmark": RESULT,
            "what": "every model trained at its defaults exactly as the README's first command shows (genzoo train "
                    "NAME --data mnist; stackgan on mnist-captions), one seed, then scored by 'genzoo eval RUN' with "
                    "its defaults (10,000 samples against the test split; the log-likelihood at its default budget)"
                    + ("; SMOKE RUN: 3 steps and a tiny evaluation, figures meaningless" if args.smoke else ""),
            "models": ordered,
            "provenance": rows[name]["provenance"],   # of the latest model run; each row holds its own
        }
        if args.smoke:
            RUNS.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, indent=2) + "\n")
        else:
            write_result(RESULT, result)
        print(f"{name}: trained in {rows[name]['training']['wall_time_s']:.0f} s, scored in "
              f"{rows[name]['evaluation_wall_time_s']:.0f} s; rows in {path}")
