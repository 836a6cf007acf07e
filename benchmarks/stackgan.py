"""StackGAN on mnist-captions: whether the images show what the captions say, whether Stage-II adds detail to Stage-I,
and what Conditioning Augmentation does, each turned into a measurement.

    python -m benchmarks.run stackgan_captions                        # 40 epochs with and without CA, about 2 hours
    python -m benchmarks.run stackgan_captions --stackgan-epochs 10   # a shorter budget
    python -m benchmarks.run stackgan_captions --stackgan-rescore     # score the runs trained before again
    python -m benchmarks.run stackgan_captions --seed 1               # another seed, added to stackgan_captions.json

Both variants train on the same seed, data and budget and are scored on the 2,000 test captions: caption match by
the shipped region checker (the real test canvases are the ceiling), and the Fréchet distance to the test canvases
in the checker's canvas features (RegionChecker.features; 2,000 real training canvases give the floor). Stage-I
images are enlarged to 64x64 bilinearly, as the checker reads any smaller image. With CA, both stages are scored
twice: with their conditions drawn, as the paper samples, and at the means of their augmentations. Caption match on
the 2,000 validation captions is reported beside, the split on which a reading is chosen.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import RESULTS, RUNS, fresh_run_dir, provenance, spread, train_to_the_end, write_seed_result
from genzoo.data import load_dataset
from genzoo.evaluate.caption_match import load_region_checker
from genzoo.evaluate.text_image import AT_MEAN, drawn_images, real_reference, score_stages
from genzoo.models.stackgan import STAGES
from genzoo.run import make_run_config, open_run
from genzoo.train.metrics_log import read_metrics
from genzoo.viz.text_to_image import caption_rows

# Stage-I at 32x32, where 8-pixel digits at 16x16 are hardly legible; Stage-II's discriminator at half the default
# width, since at 16 it takes more than half of a Stage-II step; a Stage-I step then costs about two thirds of a
# Stage-II one (--stackgan-stage1-fraction splits the steps between the stages)
SETTINGS = ["model.stage1_size=32", "model.stage2_discriminator_width=8", "model.stage1_content_weight=4",
            "model.stage2_content_weight=8", "train.sample_every=100000", "train.checkpoint_every=1000",
            "train.log_every=5"]
VARIANTS = {"ca": ("Conditioning Augmentation", ["model.conditioning_augmentation=true"]),
            "no_ca": ("no Conditioning Augmentation (phi_t itself, no KL)", ["model.conditioning_augmentation=false"])}
SHEET_CAPTIONS = 12
RESULT = "stackgan_captions"   # the result file, holding every seed


def seconds_per_epoch(records: list[dict], steps_per_epoch: int) -> dict[str, float]:
    """Training seconds per epoch of each stage, from the times of the logged steps on either side of the boundary."""
    steps = [r for r in records if "phase" in r]
    last_stage1 = max((r for r in steps if r["phase"] == STAGES[0]), key=lambda r: r["step"])
    end = steps[-1]
    return {STAGES[0]: round(last_stage1["time"] / last_stage1["step"] * steps_per_epoch, 1),
            STAGES[1]: round((end["time"] - last_stage1["time"]) / (end["step"] - last_stage1["step"])
                             * steps_per_epoch, 1)}


def result_name(args: argparse.Namespace) -> str:
    """The prefix of a seed's runs and sheets: seed 0 keeps the plain name, as in gan_family."""
    return "stackgan_captions" + (f"_seed{args.seed}" if args.seed else "")


def train_variant(key: str, settings: list[str], args: argparse.Namespace) -> tuple[Path, object, dict]:
    """Train one variant afresh; its run directory, its data and what its training took."""
    length = [f"train.max_steps={args.stackgan_max_steps}"] if args.stackgan_max_steps else []
    cfg = make_run_config("stackgan", "mnist-captions",
                          overrides=[*SETTINGS, *settings, *length, f"train.seed={args.seed}",
                                     f"model.stage1_fraction={args.stackgan_stage1_fraction}"],
                          epochs=args.stackgan_epochs)
    run_dir = fresh_run_dir(f"{result_name(args)}_{key}")
    trainer = train_to_the_end(cfg, run_dir, args)
    model = trainer.model
    return run_dir, trainer.dataset, {
        "config": cfg.to_dict(),
        "text_encoder": {k: model.text_encoder_report[k] for k in ("validation", "wall_time_s", "steps")},
        "training": {"epochs": cfg.train.epochs, "steps": trainer.progress.step, "stage1_steps": model.stage1_steps(),
                     "train_time_s": round(trainer.progress.elapsed, 1),
                     "seconds_per_epoch": seconds_per_epoch(read_metrics(run_dir / "metrics.jsonl"),
                                                            trainer.steps_per_epoch),
                     "last_scalars": trainer.last_scalars}}


def trained_variant(key: str, previous: dict, args: argparse.Namespace) -> tuple[Path, object, dict]:
    """A variant this benchmark trained before, reopened to be scored again: its run directory must hold the run
    the previous result describes (the same config, trained to the end)."""
    run_dir = RUNS / f"{result_name(args)}_{key}"
    described = previous["runs"][key]
    if not (run_dir / "checkpoint.pt").exists():
        raise SystemExit(f"no run at {run_dir} to score again: run the benchmark without --stackgan-rescore")
    opened = open_run(run_dir)
    if opened.config.to_dict() != described["config"] or opened.progress["step"] != described["training"]["steps"]:
        raise SystemExit(f"{run_dir} does not hold the run that {RESULTS / RESULT}.json describes for seed "
                         f"{args.seed}: run the benchmark without --stackgan-rescore to train it again")
    dataset = load_dataset("mnist-captions", opened.config.data, args.data_dir)
    return run_dir, dataset, {k: described[k] for k in ("config", "text_encoder", "training")}


def stackgan_captions(args: argparse.Namespace) -> None:
    """StackGAN trained --stackgan-epochs on mnist-captions with and without Conditioning Augmentation; caption match
    and FD of Stage-I and Stage-II on the test captions (with CA, also with the conditions at their means), and
    a sheet of captions with both stages' images. --stackgan-rescore scores the runs trained before again."""
    started = time.perf_counter()
    checker = load_region_checker()
    name, previous = result_name(args), None
    if args.stackgan_rescore:
        path = RESULTS / f"{RESULT}.json"
        previous = next((r for r in json.loads(path.read_text())["seeds"] if r["provenance"]["seed"] == args.seed),
                        None) if path.exists() else None
        if previous is None:
            raise SystemExit(f"no result of seed {args.seed} in {path} to score again: run the benchmark without "
                             "--stackgan-rescore first")
    runs, reference = {}, None
    for key, (variant, settings) in VARIANTS.items():
        run_dir, dataset, trained = (trained_variant(key, previous, args) if previous
                                     else train_variant(key, settings, args))
        test = dataset.test
        if reference is None:   # the real canvases' scores: the ceiling of match and the floor of FD
            real = real_reference(checker, dataset, len(test), args.seed)
            real_features = checker.features(test.images)
            reference = {"caption_match_of_real_test_canvases": real["caption_match"],
                         f"fd_of_{len(test)}_real_training_canvases": real["fd"]}
        evaluation_started = time.perf_counter()
        model = open_run(run_dir).model
        images = drawn_images(model, test.captions, args.seed)
        sheet = RESULTS / f"{name}_{key}.png"
        stage1, stage2 = images[STAGES[0]][:SHEET_CAPTIONS], images[STAGES[1]][:SHEET_CAPTIONS]
        caption_rows(test.captions[:SHEET_CAPTIONS], stage1, stage2).save(sheet)
        validation = dataset.validation.captions
        runs[key] = {
            "variant": variant, "config": trained["config"],
            **score_stages(images, test.captions, checker, real_features),
            "caption_match_validation": score_stages(drawn_images(model, validation, args.seed), validation, checker,
                                                     None, ["match"])["caption_match"],
            "sheet": f"benchmarks/results/{sheet.name}",
            "text_encoder": trained["text_encoder"], "training": trained["training"],
            "evaluation_time_s": round(time.perf_counter() - evaluation_started, 1),
        }
    write_seed_result(RESULT, {
        "benchmark": "stackgan_captions", "model": "stackgan", "dataset": "mnist-captions",
        "what": f"stackgan trained {trained['training']['epochs']} epochs"
                + (f", cut at {max_steps} steps," if (max_steps := trained["config"]["train"]["max_steps"]) else "")
                + " on mnist-captions (20,000 training canvases; Stage-I at 32x32 for the first "
                f"{trained['config']['model']['stage1_fraction']:.0%} of the steps, then Stage-II at 64x64 with "
                "Stage-I frozen, starting from the enlarged sketch; each stage's learning rates decayed linearly to 0 "
                "over its steps; Stage-II's discriminator of width 8; auxiliary region classifiers of weight 4), with "
                "and without Conditioning Augmentation, same seed and budget; on the 2,000 test captions, one draw "
                "each: caption match by the shipped region checker and FD to the test canvases in the checker's "
                "per-cell features (Stage-I enlarged to 64x64 bilinearly); with CA, both stages also with each "
                "condition at the mean of its augmentation (z drawn as before); caption match on the 2,000 validation "
                "captions beside"
                + ("; the runs trained before, scored again (their training: 'trained')" if previous else ""),
        **reference, "runs": runs,
        "checker": {k: checker.card.get(k) for k in ("test_cell_accuracy", "test_caption_match", "commit")},
        "feature_space": "RegionChecker.features: each cell's 64 penultimate maps averaged over their 4x4 positions, "
                         "the four cells side by side (256 dimensions)",
        "provenance": provenance(args.seed, started, dataset),
        **({"trained": previous.get("trained", previous["provenance"])} if previous else {}),
    }, stackgan_across_seeds)


# the figures of StackGAN's seeds that its result file spreads: caption match on the test captions of Stage-II with
# CA, drawn and at the means, and without CA; FD of Stage-II with CA, drawn
STACKGAN_FIGURES = {
    "caption_match.ca.Stage-II": lambda r: r["runs"]["ca"]["caption_match"][STAGES[1]]["caption_match"],
    "caption_match.ca.Stage-II_at_mean": lambda r: r["runs"]["ca"]["caption_match"].get(AT_MEAN[STAGES[1]], {}).get(
        "caption_match"),
    "caption_match.no_ca.Stage-II": lambda r: r["runs"]["no_ca"]["caption_match"][STAGES[1]]["caption_match"],
    "fd.ca.Stage-II": lambda r: r["runs"]["ca"]["fd"][STAGES[1]],
}


def stackgan_across_seeds(seeds: list[dict]) -> dict:
    return {"across_seeds": spread(seeds, STACKGAN_FIGURES)}
