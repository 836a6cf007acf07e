"""``genzoo demo``: a VAE, a DCGAN and the Boltzmann family trained briefly on scikit-learn's 8x8 digits, on one page.

Runs offline everywhere in a few minutes on two cores: a variational model, an adversarial one, the
energy-based ones (RBM, DBN, DBM) and a Helmholtz machine, through the same loop, data, checkpoints
and evaluation.
"""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from pathlib import Path

import torch

from genzoo.data import load_dataset
from genzoo.evaluate.suite import EVAL_FILE, save_result
from genzoo.progress import reporting, say
from genzoo.run import CONFIG_FILE, evaluate_run, make_run_config, train
from genzoo.viz.report import source, write_report

DEMO_RUNS = {
    "vae": ("vae", ["train.epochs=100", "train.batch_size=50", "data.binarize=none", "model.hidden=[128,128]",
                    "model.latent_dim=8", "train.sample_every=10000"]),
    "dcgan": ("dcgan", ["train.epochs=150", "train.batch_size=64", "train.sample_every=10000"]),
    "rbm": ("rbm", ["train.epochs=200", "train.batch_size=50", "data.binarize=dynamic", "model.hidden=64",
                    "model.persistent=true", "model.persistent_chains=50", "model.lr=0.05", "model.momentum_warmup=500",
                    "train.sample_every=10000"]),
    "dbn": ("dbn", ["train.epochs=200", "train.batch_size=50", "data.binarize=dynamic", "model.layers=[64,128]",
                    "model.persistent=true", "model.persistent_chains=50", "model.lr=0.05", "model.momentum_warmup=500",
                    "train.sample_every=10000"]),
    "dbm": ("dbm", ["train.epochs=200", "train.batch_size=50", "data.binarize=dynamic", "model.layers=[64,64]",
                    "model.persistent=true", "model.persistent_chains=50", "model.lr=0.05", "model.joint_lr=0.01",
                    "model.momentum_warmup=500", "train.sample_every=10000"]),
    "helmholtz": ("helmholtz", ["train.epochs=200", "train.batch_size=50", "data.binarize=dynamic",
                                "model.layers=[64,32]", "model.algorithm=reweighted", "train.sample_every=10000"]),
}

DEMO_METRICS = ["fd", "kid", "pr", "dc", "cs", "modes", "nll"]
DEMO_SAMPLES = 1000

INTRO = ("<p>Six models trained through the same loop on scikit-learn's 1,797 8x8 digits "
         "(the validation and test images held out), then scored by <code>genzoo eval</code> on one scale: "
         "distances in the features of genzoo's digits classifier (not comparable with Inception-based "
         "figures from papers) and, where the model defines one, the test log-likelihood. Retrain with "
         "<code>genzoo demo</code>; each run directory holds its config, checkpoint, metrics.jsonl, sample "
         "grids and eval.json. The last row of the summary scores real training images as if they were samples: "
         "the floor (or ceiling) each metric can reach at this sample size.</p>")


def run_demo(out: Path, progress_bar: bool = True, device: str | torch.device = "cpu") -> Path:
    """Train the demo runs afresh into ``out`` on ``device`` (where they are scored too) and write
    ``out/index.html``."""
    out.mkdir(parents=True, exist_ok=True)
    run_dirs = []
    for index, (name, (model, overrides)) in enumerate(DEMO_RUNS.items(), 1):
        run_dir = out / name
        if (run_dir / CONFIG_FILE).exists():
            shutil.rmtree(run_dir)
        with reporting() if progress_bar else nullcontext():
            say(f"demo {index}/{len(DEMO_RUNS)}: training the {name} into {run_dir}")
            train(make_run_config(model, "digits", overrides=overrides), run_dir, progress_bar=progress_bar,
                  device=device)
            say(f"demo {index}/{len(DEMO_RUNS)}: scoring the {name} ({', '.join(DEMO_METRICS)})")
            result = evaluate_run(run_dir, DEMO_METRICS, n=DEMO_SAMPLES, budget={"k": 100}, floor=True,
                                  device=device)
        run_dirs.append(run_dir)
        save_result(result, run_dir / EVAL_FILE)
    return write_demo_page(out, run_dirs)


def write_demo_page(out: Path, run_dirs: list[Path]) -> Path:
    """``out/index.html`` from the demo's trained and evaluated runs."""
    dataset = load_dataset("digits", make_run_config("vae", "digits").data)
    return write_report([source(run_dir) for run_dir in run_dirs], out / "index.html",
                        "genzoo demo: six generative models on 8x8 digits", INTRO, dataset.train.images[:64])
