"""Benchmarks that train for real and write their numbers, with provenance, to benchmarks/results/.

    python -m benchmarks.run vae_mnist      # MLP VAE on binarized MNIST, test log-likelihood by IWAE
    python -m benchmarks.run dcgan_mnist    # DCGAN throughput on MNIST and its grid after 5 epochs
    python -m benchmarks.run rbm_mnist      # RBM, 500 hidden, PCD on binarized MNIST: AIS test log-likelihood
    python -m benchmarks.run dbn_mnist      # DBN 500-2000, greedy: variational bound with AIS on the top RBM
    python -m benchmarks.run dbm_mnist      # DBM 500-1000: AIS estimate of the mean-field bound
    python -m benchmarks.run reevaluate --runs dbm_mnist --metrics fd,kid,pr,dc,cs,modes --why "..."   # again
    python -m benchmarks.run helmholtz_mnist  # Helmholtz machine 200-200: wake-sleep and reweighted wake-sleep
    python -m benchmarks.run eval_floors    # FD/KID/PR/DC of real training images against the test set
    python -m benchmarks.run eval_runs      # 'genzoo eval' on the vae_mnist and dcgan_mnist runs
    python -m benchmarks.run eval_speed     # seconds for FD, KID, PR/DC over 10,000 samples; AIS on a 784-500 RBM
    python -m benchmarks.run gan_family     # every GAN at one budget on MNIST and Fashion-MNIST; its loss against FD
    python -m benchmarks.run gan_modes      # mode collapse of an MLP GAN and WGAN: 25 Gaussians and MNIST
    python -m benchmarks.run gan_ablation   # the dcgan with each Improved-GAN technique switched on alone
    python -m benchmarks.run stackgan_captions  # StackGAN on mnist-captions, with and without CA: match and FD
    python -m benchmarks.run throughput --device cuda   # matmul peak; each model's images/s and share of it; AIS
    python -m benchmarks.run throughput --ranks 1,2     # and each model's images/s on 1 and 2 data-parallel ranks
    python -m benchmarks.run defaults       # every model as 'genzoo train NAME --data mnist' gives it, by 'genzoo eval'
    python -m benchmarks.run pretrained     # the shipped models: trained, exported to genzoo/pretrained/, re-scored
    python -m benchmarks.run serve --run RUN  # 200 concurrent sample requests to 'genzoo serve': median and p99 latency
    python -m benchmarks.run all

Run them from the repository root; ``python benchmarks/run.py NAME``, the command older results record, does the
same. Data comes from genzoo's own search order (set GENZOO_DATA_DIR or --data-dir). Every result file holds the
command, git commit, seed, data checksums, wall time and machine that produced it, and the README's results table
is rewritten from the result files (python -m benchmarks.table).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:   # run by path: start again as the package's module
    root = str(Path(__file__).resolve().parents[1])
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks.run", *sys.argv[1:]],
              {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))})

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor

from benchmarks.adversarial import gan_ablation, gan_convergence, gan_family, gan_modes
from benchmarks.common import RESULTS, ROOT, RUNS, fresh_run_dir, provenance, train_to_the_end, write_result
from benchmarks.defaults import defaults
from benchmarks.pretrained import pretrained
from benchmarks.serve import serve
from benchmarks.stackgan import stackgan_captions
from benchmarks.throughput import throughput
from genzoo.data import binarize, load_dataset
from genzoo.data.config import DataConfig
from genzoo.evaluate.features import load_feature_network
from genzoo.evaluate.frechet import frechet_distance
from genzoo.evaluate.kid import kernel_inception_distance
from genzoo.evaluate.manifold import manifold_scores
from genzoo.evaluate.suite import DEFAULT_METRICS, RealFeatures, feature_network_summary, real_floor
from genzoo.grid import save_grid
from genzoo.likelihood.ais import annealing_schedule, log_partition_ais
from genzoo.likelihood.iwae import iwae_bound
from genzoo.likelihood.partition import rbm_log_likelihood
from genzoo.nn.rbm import RBM
from genzoo.run import evaluate_run, make_run_config, open_run
from genzoo.train.metrics_log import read_metrics

# Burda et al. 2015 ("Importance Weighted Autoencoders"), Table 1: VAE with one stochastic layer
# (k = 1 training), test log-likelihood estimated with k = 5000.
PUBLISHED_VAE_NLL = {"value": -86.76, "source": "Burda, Grosse & Salakhutdinov 2015, Table 1 (VAE, 1 stochastic "
                     "layer, k=1), IWAE estimate with k=5000"}

# two hidden layers of 500 tanh units, the width of Kingma & Welling 2014 (Section 5) for MNIST: on this
# budget they reach a higher validation ELBO than Burda et al.'s 200-200 (see the note in the README)
VAE_SETTINGS = ["data.binarize=dynamic", "model.architecture=mlp", "model.hidden=[500,500]", "model.activation=tanh",
                "train.sample_every=5000", "train.checkpoint_every=5000"]
IWAE_K = 5000


def vae_mnist(args: argparse.Namespace) -> None:
    """Train the MLP VAE on dynamically binarized MNIST; IWAE bound on the test set binarized once."""
    started = time.perf_counter()
    cfg = make_run_config("vae", "mnist", overrides=[*VAE_SETTINGS, f"train.seed={args.seed}"], epochs=args.epochs)
    run_dir = fresh_run_dir("vae_mnist")
    trainer = train_to_the_end(cfg, run_dir, args)
    model = open_run(run_dir).model
    test = binarize(trainer.dataset.test.images, torch.Generator().manual_seed(args.seed))
    evaluation_started = time.perf_counter()
    elbo = iwae_bound(model, test, k=1, generator_seed=args.seed)
    bound = iwae_bound(model, test, k=args.k, generator_seed=args.seed)
    validation = [r for r in read_metrics(run_dir / "metrics.jsonl") if r.get("split") == "validation"]
    write_result("vae_mnist", {
        "benchmark": "vae_mnist",
        "what": "MLP VAE trained on dynamically binarized MNIST (50,000 train images; 10,000 held out for "
                "validation); test log-likelihood in nats on the 10,000 test images binarized once (fixed, seed "
                f"{args.seed}); the IWAE value is a stochastic lower bound on log p(x), k={args.k}",
        "config": cfg.to_dict(),
        "training": {"epochs": args.epochs, "steps": trainer.progress.step,
                     "train_time_s": round(trainer.progress.elapsed, 1),
                     "validation_elbo_last_epoch": validation[-1]["elbo"] if validation else None},
        "test_log_likelihood": {"iwae": bound.to_dict(), "elbo": elbo.to_dict(),
                                "binarization": "test set: fixed (sampled once); training: dynamic",
                                "evaluation_time_s": round(time.perf_counter() - evaluation_started, 1)},
        "published": PUBLISHED_VAE_NLL,
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


def dcgan_mnist(args: argparse.Namespace) -> None:
    """DCGAN on MNIST for 5 epochs: training throughput per epoch and the grid it ends with."""
    started = time.perf_counter()
    cfg = make_run_config("dcgan", "mnist", overrides=[f"train.seed={args.seed}", "train.sample_every=100000",
                                                       "train.checkpoint_every=100000", "train.log_every=100"],
                          epochs=args.gan_epochs)
    run_dir = fresh_run_dir("dcgan_mnist")
    trainer = train_to_the_end(cfg, run_dir, args)
    train_records = [r for r in read_metrics(run_dir / "metrics.jsonl") if r.get("split", "train") == "train"]
    per_epoch = []
    for epoch in range(args.gan_epochs):
        rows = [r for r in train_records if r["epoch"] == epoch]
        if len(rows) >= 2:   # images between the first and last logged step of the epoch, over that time
            per_epoch.append((rows[-1]["step"] - rows[0]["step"]) * cfg.train.batch_size
                             / (rows[-1]["time"] - rows[0]["time"]))
    grid = RESULTS / f"dcgan_mnist_epoch{args.gan_epochs}.png"
    save_grid(open_run(run_dir).model.sample(64, torch.Generator().manual_seed(args.seed)), grid, scale=2)
    write_result("dcgan_mnist", {
        "benchmark": "dcgan_mnist",
        "what": f"DCGAN trained {args.gan_epochs} epochs on MNIST (50,000 train images, batch "
                f"{cfg.train.batch_size}); throughput counts training images through one D and one G update "
                "(logging and sampling excluded: measured between logged steps)",
        "config": cfg.to_dict(),
        "throughput_images_per_s": {"median_over_epochs": round(statistics.median(per_epoch), 1),
                                    "per_epoch": [round(v, 1) for v in per_epoch]},
        "training": {"steps": trainer.progress.step, "train_time_s": round(trainer.progress.elapsed, 1),
                     "last_scalars": trainer.last_scalars},
        "grid": str(grid.relative_to(ROOT)),
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


# Salakhutdinov & Murray 2008 ("On the quantitative analysis of deep belief networks"), Table 2: RBM with 500
# hidden units trained with CD-25, test log-probability by AIS on MNIST binarized once (stochastically)
PUBLISHED_RBM = {"value": -86.34, "source": "Salakhutdinov & Murray 2008, Table 2 (RBM, 500 hidden units, CD-25), "
                 "AIS estimate"}
RBM_SETTINGS = ["data.binarize=fixed", "model.hidden=500", "model.persistent=true", "model.persistent_chains=100",
                "train.sample_every=100000", "train.checkpoint_every=5000", "train.log_every=100"]


def boltzmann_mnist(name: str, model: str, settings: list[str], epochs: int, what: str, published: dict,
                    budget: dict, args: argparse.Namespace, more: Callable[..., dict] | None = None) -> None:
    """Train one model of the Boltzmann family on MNIST binarized once, then 'genzoo eval' it: the test
    log-likelihood (or its bound) with its AIS diagnostics, and the sample metrics on 10,000 samples; ``more``
    (run directory, test images, budget, seed) -> dict adds a model's own measurements."""
    started = time.perf_counter()
    cfg = make_run_config(model, "mnist", overrides=[*settings, f"train.seed={args.seed}"], epochs=epochs)
    run_dir = fresh_run_dir(name)
    trainer = train_to_the_end(cfg, run_dir, args)
    evaluation_started = time.perf_counter()
    result = evaluate_run(run_dir, DEFAULT_METRICS, n=10_000, seed=args.seed, budget=budget, data_dir=args.data_dir)
    extra = more(run_dir, trainer.dataset.test.images, budget, args.seed) if more else {}
    write_result(name, {
        "benchmark": name, "what": what, "config": cfg.to_dict(),
        **{k: result[k] for k in ("model", "dataset", "step", "metrics", "feature_network")}, **extra,
        "training": {"epochs": epochs, "steps": trainer.progress.step,
                     "train_time_s": round(trainer.progress.elapsed, 1), "last_scalars": trainer.last_scalars},
        "evaluation_time_s": round(time.perf_counter() - evaluation_started, 1),
        "published": published,
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


def rbm_mnist(args: argparse.Namespace) -> None:
    """A 500-hidden-unit RBM trained by PCD on MNIST binarized once; AIS test log-likelihood and sample metrics."""
    boltzmann_mnist("rbm_mnist", "rbm", RBM_SETTINGS, args.rbm_epochs,
                    "Bernoulli RBM with 500 hidden units trained by persistent CD (100 chains, lr 0.01 falling "
                    "linearly to 0, momentum 0.5 then 0.9, weight decay 2e-4) on MNIST binarized once (fixed, "
                    "data.seed 0; 50,000 train images); test log-likelihood on the 10,000 test images binarized the "
                    "same way, log Z by AIS from the base-rate model, with the reverse-AIS check; sample metrics on "
                    "10,000 samples",
                    PUBLISHED_RBM, {"betas": args.betas, "chains": args.chains}, args)


# Salakhutdinov & Murray 2008, Table 2 (their DBN row): a DBN with 500 and 2000 hidden units, greedily trained,
# the variational lower bound on the test log-probability with log Z of the top RBM by AIS
PUBLISHED_DBN = {"value": -86.22, "source": "Salakhutdinov & Murray 2008, Table 2 (DBN 500-2000), variational lower "
                 "bound with AIS on the top RBM"}
# both deep models: PCD with 100 chains, 300 Gibbs sweeps per sample (10,000 samples at 1,000 would take most of
# the evaluation time)
DEEP_BOLTZMANN_SETTINGS = ["data.binarize=fixed", "model.persistent=true", "model.persistent_chains=100",
                           "model.sample_steps=300", "train.sample_every=100000", "train.checkpoint_every=5000",
                           "train.log_every=100"]
DBN_SETTINGS = [*DEEP_BOLTZMANN_SETTINGS, "model.layers=[500,2000]"]


def dbn_mnist(args: argparse.Namespace) -> None:
    """A 500-2000 DBN, each layer an RBM trained by PCD for its --dbn-layer-epochs; the variational bound with AIS."""
    bottom, top = args.dbn_layer_epochs
    boltzmann_mnist("dbn_mnist", "dbn", [*DBN_SETTINGS, f"model.layer_shares=[{bottom},{top}]"], bottom + top,
                    f"DBN 784-500-2000 trained greedily by persistent CD, the 500-unit RBM for {bottom} epochs, then "
                    f"the 2000-unit RBM on its hidden samples for {top} "
                    "(100 chains, lr 0.01 falling linearly to 0 within each layer, momentum 0.5 then 0.9, weight decay "
                    "2e-4) on MNIST binarized once (fixed, data.seed 0; 50,000 train images); variational lower bound "
                    f"on the test log-likelihood with {args.dbn_samples} samples of q per test image and log Z of the "
                    "top RBM by AIS from its base-rate model, with the reverse check; sample metrics on 10,000 samples "
                    "(300 Gibbs sweeps of the top RBM, then the top-down pass)",
                    PUBLISHED_DBN, {"betas": args.betas, "chains": args.chains, "samples": args.dbn_samples}, args,
                    bottom_rbm_alone)


def bottom_rbm_alone(run_dir: Path, test: Tensor, budget: dict, seed: int) -> dict:
    """The DBN's bottom RBM scored as a model on its own, with the same AIS budget: the figure that stacking the top
    RBM should raise (Hinton, Osindero & Teh 2006, Section 4: a layer added and trained greedily can improve the
    variational bound)."""
    bottom = open_run(run_dir).model.learners[0]
    estimate = rbm_log_likelihood(bottom.rbm, torch.logit(bottom.base_rate()), test,
                                  {k: budget[k] for k in ("betas", "chains")}, seed, bottom.model_samples())
    return {"bottom_rbm_alone": estimate.to_dict()}


def reevaluate(args: argparse.Namespace) -> None:
    """Trained benchmark runs evaluated again by today's code, with --metrics (nll with --long-betas AIS
    distributions): for a run whose AIS check failed at 14,500, or whose sampler was fixed after it trained."""
    metrics = args.metrics.split(",")
    for name in args.runs.split(","):
        run_dir = RUNS / name
        if not (run_dir / "checkpoint.pt").exists():
            sys.exit(f"no trained run in {run_dir}: run 'python -m benchmarks.run {name}' first")
        started = time.perf_counter()
        trained = json.loads((RESULTS / f"{name}.json").read_text())
        budget = {**trained["metrics"]["log_likelihood"]["budget"], "betas": args.long_betas}
        result = evaluate_run(run_dir, metrics, n=10_000, seed=args.seed, budget=budget, data_dir=args.data_dir)
        dataset = load_dataset(result["dataset"], open_run(run_dir).config.data, args.data_dir)
        write_result(f"{name}_reevaluated", {
            "benchmark": "reevaluated", "run": name, "model": result["model"], "dataset": result["dataset"],
            "what": f"the {name} benchmark run (trained by the command and commit in trained_by) evaluated again "
                    f"by this commit's code: {', '.join(metrics)}"
                    + (f", the log-likelihood with {args.long_betas:,} AIS intermediate distributions"
                       if "nll" in metrics else "") + f"; why: {args.why}",
            "step": result["step"], "metrics": result["metrics"], "feature_network": result["feature_network"],
            "trained_by": {k: trained["provenance"][k] for k in ("command", "commit", "date")},
            "provenance": provenance(args.seed, started, dataset),
        })


# Salakhutdinov & Hinton 2009 ("Deep Boltzmann Machines"), Section 5: a 500-1000 DBM on MNIST, the AIS estimate of
# the variational lower bound on the test log-probability
PUBLISHED_DBM = {"value": -84.62, "source": "Salakhutdinov & Hinton 2009, Section 5 (DBM 500-1000), AIS estimate "
                 "of the mean-field lower bound"}
DBM_SETTINGS = [*DEEP_BOLTZMANN_SETTINGS, "model.layers=[500,1000]", "model.pretrain_fraction=0.3",
                "model.mean_field_steps=10"]


def dbm_mnist(args: argparse.Namespace) -> None:
    """A 500-1000 DBM: doubled-input pretraining, then mean-field + persistent chains; AIS of the mean-field bound."""
    boltzmann_mnist("dbm_mnist", "dbm", DBM_SETTINGS, args.dbm_epochs,
                    f"DBM 784-500-1000 trained {args.dbm_epochs} epochs on MNIST binarized once (fixed, data.seed 0; "
                    "50,000 train images): the first 30% of the run greedy pretraining of the two RBMs by persistent "
                    "CD with doubled inputs, then joint training (10 mean-field rounds for the data term, 100 "
                    "persistent chains with one Gibbs sweep per update for the model term, lr 0.002 falling linearly "
                    "to 0); test log-likelihood as the mean-field lower bound (30 rounds) per test image minus log Z "
                    "by AIS from the base-rate model, with the reverse check; sample metrics on 10,000 samples (300 "
                    "Gibbs sweeps each)",
                    PUBLISHED_DBM, {"betas": args.betas, "chains": args.chains}, args)


# Bornschein & Bengio 2015 ("Reweighted Wake-Sleep", ICLR), Table 1 reports MNIST test log-likelihoods of SBN/SBN
# Helmholtz machines trained by wake-sleep and by RWS; their figures for 200-200 could not be read and checked from
# the sources at hand when this benchmark was written, so none is quoted rather than one from memory
# Gu, Levine, Sutskever & Mnih 2016 (MuProp), Table 3, "negative variational lower-bound on MNIST test data", SBN
# 200-200-784: the same architecture trained by other gradient estimators, scored by its k = 1 bound; no figure of
# wake-sleep or reweighted wake-sleep for this architecture is quoted
PUBLISHED_HELMHOLTZ_BOUND = {
    "source": "Gu, Levine, Sutskever & Mnih 2016 (MuProp), Table 3, negative variational lower bound on MNIST test "
              "data, SBN 200-200-784 trained by other estimators (a variational bound, k = 1)",
    "bounds": {"NVIL (LR-C-VN-IDB)": -99.7, "MuProp": -100.4},
}
PUBLISHED_HELMHOLTZ = {algorithm: {"value": None, "source": "Bornschein & Bengio 2015, Table 1 (SBN/SBN, MNIST): "
                                   "not quoted, not yet checked against the paper"}
                       for algorithm in ("wake-sleep", "reweighted")}
HELMHOLTZ_SETTINGS = ["data.binarize=fixed", "model.layers=[200,200]", "model.samples=5", "train.sample_every=100000",
                      "train.checkpoint_every=5000", "train.log_every=100"]


def helmholtz_mnist(args: argparse.Namespace) -> None:
    """The 200-200 Helmholtz machine on MNIST binarized once, trained by wake-sleep and by reweighted wake-sleep with
    the same seed and epochs; importance-sampled test log-likelihood and sample metrics of each, side by side."""
    started = time.perf_counter()
    runs = {}
    for algorithm in ("wake-sleep", "reweighted"):
        cfg = make_run_config("helmholtz", "mnist", overrides=[*HELMHOLTZ_SETTINGS, f"model.algorithm={algorithm}",
                                                               f"train.seed={args.seed}"], epochs=args.helmholtz_epochs)
        run_dir = fresh_run_dir(f"helmholtz_mnist_{algorithm}")
        trainer = train_to_the_end(cfg, run_dir, args)
        evaluation_started = time.perf_counter()
        result = evaluate_run(run_dir, DEFAULT_METRICS, n=10_000, seed=args.seed, budget={"k": args.k},
                              data_dir=args.data_dir)
        bound = evaluate_run(run_dir, ["nll"], seed=args.seed, budget={"k": 1}, data_dir=args.data_dir)
        runs[algorithm] = {
            "config": cfg.to_dict(), "step": result["step"], "metrics": result["metrics"],
            "variational_bound": bound["metrics"]["log_likelihood"],
            "training": {"epochs": args.helmholtz_epochs, "steps": trainer.progress.step,
                         "train_time_s": round(trainer.progress.elapsed, 1),
                         "seconds_per_epoch": round(trainer.progress.elapsed / args.helmholtz_epochs, 1),
                         "last_scalars": trainer.last_scalars},
            "evaluation_time_s": round(time.perf_counter() - evaluation_started, 1)}
    write_result("helmholtz_mnist", {
        "benchmark": "helmholtz_mnist", "model": "helmholtz", "dataset": "mnist",
        "what": "Helmholtz machine with two layers of 200 stochastic binary units (SBN generative and recognition "
                "networks, Adam 1e-3, batch 100) on MNIST binarized once (fixed, data.seed 0; 50,000 train images), "
                "trained by wake-sleep (one sample, sleep-phase q updates) and by reweighted wake-sleep (K=5, wake- "
                "and sleep-phase q updates) with the same seed and epochs; test log-likelihood on the 10,000 test "
                f"images binarized the same way, importance-sampled with q(h|x) as proposal, k={args.k} (a "
                "stochastic lower bound), and with k=1 (the variational lower bound, comparable with bounds of the "
                "same architecture trained by other estimators); sample metrics on 10,000 samples (p(x|h_1) of "
                "ancestral draws)",
        "runs": runs, "feature_network": result["feature_network"],
        "published": PUBLISHED_HELMHOLTZ, "published_bound": PUBLISHED_HELMHOLTZ_BOUND,
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


def eval_floors(args: argparse.Namespace) -> None:
    """The best each sample metric can be at n = 10,000: real training images scored like samples."""
    for name in ("mnist", "fashion-mnist"):
        started = time.perf_counter()
        dataset = load_dataset(name, DataConfig(), args.data_dir)
        real = RealFeatures.of(load_feature_network(name), dataset)
        write_result(f"eval_floor_{name}", {
            "benchmark": "eval_floor", "dataset": name,
            "what": f"10,000 real {name} training images (drawn with the seed) scored as if they were samples, "
                    "against the 10,000 test images: the floor of FD and KID and the ceiling of precision, "
                    "recall, density and coverage at this sample size",
            "metrics": real_floor(real, 10_000, args.seed),
            "feature_network": feature_network_summary(real.network),
            "provenance": provenance(args.seed, started, dataset),
        })


def eval_runs(args: argparse.Namespace) -> None:
    """'genzoo eval' on the benchmark runs of the VAE and the DCGAN, as a user would run it."""
    for name in ("vae_mnist", "dcgan_mnist"):
        run_dir = RUNS / name
        if not (run_dir / "checkpoint.pt").exists():
            sys.exit(f"no trained run in {run_dir}: run 'python -m benchmarks.run {name}' first")
        started = time.perf_counter()
        result = evaluate_run(run_dir, DEFAULT_METRICS, n=10_000, seed=args.seed, budget={"k": args.eval_k},
                              nll_images=args.nll_images, data_dir=args.data_dir)
        trained_file = RESULTS / f"{name}.json"
        trained = json.loads(trained_file.read_text())["provenance"] if trained_file.exists() else None
        dataset = load_dataset(result["dataset"], open_run(run_dir).config.data, args.data_dir)
        write_result(f"eval_{name}", {
            "benchmark": "eval_run", "run": name,
            "what": f"genzoo eval on the {name} benchmark run: 10,000 samples against the MNIST test split"
                    + (f"; IWAE bound with k={args.eval_k} on the first {args.nll_images} test images"
                       if name == "vae_mnist" else ""),
            **{k: result[k] for k in ("model", "dataset", "step", "metrics", "feature_network")},
            "trained_by": trained and {k: trained[k] for k in ("command", "commit", "date")},
            "provenance": provenance(args.seed, started, dataset),
        })


def median_seconds(compute, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        compute()
        times.append(round(time.perf_counter() - started, 3))
    return statistics.median(times), times


def eval_speed(args: argparse.Namespace) -> None:
    """Seconds for each sample metric over 10,000 MNIST feature vectors, and for AIS on a 784-500 RBM."""
    started = time.perf_counter()
    dataset = load_dataset("mnist", DataConfig(), args.data_dir)
    network = load_feature_network("mnist")
    embed_s, _ = median_seconds(lambda: network.embed(dataset.test.images), 1)
    real, _ = network.embed(dataset.test.images)
    fake, _ = network.embed(dataset.train.images[:10_000])
    timings = {}
    for name, compute in (("fd", lambda: frechet_distance(fake, real)),
                          ("kid (100 subsets of 1000)", lambda: kernel_inception_distance(fake, real)),
                          ("precision, recall, density, coverage", lambda: manifold_scores(real, fake))):
        median, runs = median_seconds(compute, args.repeats)
        timings[name] = {"median_s": median, "runs_s": runs}
    rbm = RBM(784, 500)
    rbm.weights.normal_(0, 0.01, generator=torch.Generator().manual_seed(args.seed))
    betas = annealing_schedule(14_500)
    ais_median, ais_runs = median_seconds(lambda: log_partition_ais(rbm, betas, 100, dataset.train.images[:10_000],
                                                                    args.seed, reverse=False), args.repeats)
    write_result("eval_speed", {
        "benchmark": "eval_speed",
        "what": "wall seconds on this machine, medians of repeated runs in one process: each metric on 10,000 "
                "sample features (MNIST training images standing in for samples) against the 10,000 test-set "
                "features; forward AIS for log Z of a 784-500 RBM (random weights: the speed does not depend on "
                "them) with 100 chains and 14,500 intermediate distributions, the reverse check not included",
        "features_10000_images_s": embed_s,
        "metrics": timings,
        "ais_784_500": {"chains": 100, "betas": 14_500, "median_s": ais_median, "runs_s": ais_runs},
        "provenance": provenance(args.seed, started, dataset),
    })


BENCHMARKS = {"vae_mnist": vae_mnist, "dcgan_mnist": dcgan_mnist, "rbm_mnist": rbm_mnist, "dbn_mnist": dbn_mnist,
              "dbm_mnist": dbm_mnist, "reevaluate": reevaluate, "helmholtz_mnist": helmholtz_mnist,
              "eval_floors": eval_floors, "eval_runs": eval_runs,
              "eval_speed": eval_speed, "gan_family": gan_family, "gan_modes": gan_modes,
              "gan_ablation": gan_ablation, "gan_convergence": gan_convergence,
              "stackgan_captions": stackgan_captions, "throughput": throughput, "defaults": defaults,
              "pretrained": pretrained, "serve": serve}


def epochs_per_layer(text: str) -> tuple[int, int]:
    """'200,100' -> (200, 100): the epochs of a DBN's bottom RBM and of its top RBM."""
    try:
        bottom, top = (int(value) for value in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected BOTTOM,TOP epochs such as 200,100, got {text!r}") from None
    if min(bottom, top) < 1:
        raise argparse.ArgumentTypeError(f"each layer needs at least one epoch, got {text!r}")
    return bottom, top


def rank_counts(text: str) -> list[int]:
    """'1,2' -> [1, 2]: the numbers of ranks the scaling is measured on."""
    try:
        counts = [int(value) for value in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers of ranks such as 1,2, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"each number of ranks must be at least 1, got {text!r}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", choices=[*BENCHMARKS, "all"], metavar="NAME",
                        help=f"one or more of {', '.join(BENCHMARKS)}, or all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100, help="VAE training epochs (budget)")
    parser.add_argument("--k", type=int, default=IWAE_K,
                        help="importance samples for the IWAE bound and the Helmholtz estimate")
    parser.add_argument("--gan-epochs", type=int, default=5, help="GAN training epochs (dcgan_mnist, gan_family)")
    parser.add_argument("--gan-models", default="gan,dcgan,wgan,wgan-gp,cgan,infogan", help="models in gan_family")
    parser.add_argument("--gan-data", default="mnist,fashion-mnist", help="datasets in gan_family")
    parser.add_argument("--ablation-epochs", type=int, default=3, help="dcgan training epochs per gan_ablation row")
    parser.add_argument("--modes-steps", type=int, default=10_000, help="generator updates of each MNIST model in "
                        "gan_modes (the same for gan and wgan)")
    parser.add_argument("--toy-steps", type=int, default=10_000, help="generator updates on the 25 Gaussians in "
                        "gan_modes")
    parser.add_argument("--toy-std", type=float, default=0.05, help="standard deviation of each of the 25 Gaussians "
                        "in gan_modes (toy2d's default 0.02 is out of reach of a 10,000-step budget)")
    parser.add_argument("--stackgan-epochs", type=int, default=40, help="StackGAN training epochs per variant in "
                        "stackgan_captions (budget)")
    parser.add_argument("--stackgan-stage1-fraction", type=float, default=0.5, help="share of the StackGAN steps that "
                        "train Stage-I; Stage-II has the rest")
    parser.add_argument("--stackgan-rescore", action="store_true", help="score the runs stackgan_captions trained "
                        "before (benchmarks/runs) again with the current scoring, without training; the result keeps "
                        "their training's provenance under 'trained'")
    parser.add_argument("--stackgan-max-steps", type=int, help=argparse.SUPPRESS)   # a smoke run of the code path
    parser.add_argument("--rbm-epochs", type=int, default=200, help="RBM training epochs (budget)")
    parser.add_argument("--dbn-layer-epochs", type=epochs_per_layer, default=(200, 100), metavar="BOTTOM,TOP",
                        help="DBN training epochs of its bottom RBM and of its top RBM (budget); the bound follows the "
                        "bottom RBM's likelihood, so it gets the most")
    parser.add_argument("--dbn-samples", type=int, default=100, help="samples of q per test image for the DBN bound")
    parser.add_argument("--dbm-epochs", type=int, default=120, help="DBM training epochs, pretraining included")
    parser.add_argument("--helmholtz-epochs", type=int, default=60,
                        help="Helmholtz machine training epochs, the same for both algorithms (budget)")
    parser.add_argument("--betas", type=int, default=14_500, help="AIS intermediate distributions")
    parser.add_argument("--chains", type=int, default=100, help="AIS chains")
    parser.add_argument("--long-betas", type=int, default=50_000, help="AIS intermediate distributions in "
                        "reevaluate")
    parser.add_argument("--metrics", default="nll", help="comma-separated metrics for reevaluate")
    parser.add_argument("--why", default="", help="the reason for reevaluate, kept in its result")
    parser.add_argument("--runs", default="dbn_mnist", help="comma-separated benchmark runs for reevaluate")
    parser.add_argument("--eval-k", type=int, default=1000, help="IWAE samples in eval_runs")
    parser.add_argument("--nll-images", type=int, default=2000, help="test images for the likelihood in eval_runs")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats in eval_speed")
    parser.add_argument("--device", default="cpu",
                        help="throughput: the device measured (cpu, cuda, cuda:N, mps, auto)")
    parser.add_argument("--quick", action="store_true", help="throughput: a smoke run of seconds, written to "
                                                             "throughput_quick.json")
    parser.add_argument("--throughput-models", help="throughput: only these models (comma-separated)")
    parser.add_argument("--ranks", type=rank_counts, help="throughput: also the data-parallel training images/s on "
                        "each of these numbers of ranks, e.g. 1,2 (benchmarks/scaling.py)")
    parser.add_argument("--models", help="comma-separated models for defaults (default: every registered model), or "
                        "shipped names for pretrained (default: all, e.g. dcgan-mnist,rbm-mnist); their rows are "
                        "merged into defaults.json or pretrained.json")
    parser.add_argument("--smoke", action="store_true", help="defaults, pretrained: 3 steps and a tiny evaluation of "
                        "each model, to check the code path; written to benchmarks/runs/defaults_smoke.json, or a "
                        "temporary folder for pretrained, never as a result")
    parser.add_argument("--from-runs", metavar="DIR", help="pretrained: reuse the finished runs in DIR (e.g. "
                        "benchmarks/runs) whose config equals a recipe's, instead of training them again")
    parser.add_argument("--run", help="serve: the run directory or pretrained:NAME to load-test")
    parser.add_argument("--serve-requests", type=int, default=200, help="serve: requests sent at once")
    parser.add_argument("--serve-samples", type=int, default=16, help="serve: samples each request asks for")
    parser.add_argument("--serve-out", help="serve: write the result to this file instead of benchmarks/results "
                        "(a smoke run)")
    parser.add_argument("--data-dir")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    for name, bench in BENCHMARKS.items():
        if name in args.names or "all" in args.names:
            bench(args)


if __name__ == "__main__":
    main()
