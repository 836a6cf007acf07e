"""How fast each model trains on this machine, against what the machine can do.

First the float32 matmul peak (GFLOP/s: the median of several large square products, the best size kept); then, for
every model at its benchmark's configuration, the training throughput (images/s, the median of several timed windows
after a warm-up) and the share of the peak its step reaches, the step's FLOPs counted by
torch.utils.flop_counter.FlopCounterMode (matrix products, in-place ones included, and convolutions, forward and
backward: the work a step cannot avoid; elementwise work is not counted, so the share says how much of the step the
machine's fastest kernels carry). The peak is measured again just before each timed window, and each model's share
is also given against those: the median over its windows of the window's rate over the peak beside it, a ratio taken
in one moment where the run's single peak can be seconds or minutes away on a machine whose speed drifts. Then AIS
for log Z of a 784-500 RBM with 14,500 betas and 100 chains. The images are random MNIST-shaped ones held on the
device (binary for the models of binary units): the speed of a step does not depend on the pixels, and a machine
without the datasets (a lent GPU) measures it all the same.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.adversarial import FAMILY_SETTINGS
from benchmarks.common import RESULTS, provenance_of_machine, write_result
from genzoo.devices import resolve_device, sample_bernoulli, synchronize
from genzoo.likelihood.ais import annealing_schedule, log_partition_ais
from genzoo.models.base import LayerwiseModel
from genzoo.nn.rbm import RBM
from genzoo.run import build_model, make_run_config
from genzoo.train.distributed import Ranks

MNIST_SHAPE = (1, 28, 28)
IMAGES_HELD = 10_000   # images in memory to draw batches from


def benchmark_configurations() -> dict[str, tuple[str, list[str]]]:
    """Each model's configuration in the benchmark that trains it (benchmarks/run.py, benchmarks/adversarial.py):
    {label: (model, --set pairs)}; the layer-wise models once per phase whose step differs."""
    from benchmarks.run import DBM_SETTINGS, DBN_SETTINGS, HELMHOLTZ_SETTINGS, RBM_SETTINGS, VAE_SETTINGS

    configurations = {"vae": ("vae", VAE_SETTINGS), "dcgan (dcgan_mnist)": ("dcgan", [])}
    configurations |= {f"{model} (gan_family)": (model, settings) for model, settings in FAMILY_SETTINGS.items()}
    configurations |= {
        "rbm": ("rbm", RBM_SETTINGS),
        "dbn, bottom rbm": ("dbn", DBN_SETTINGS),
        "dbn, top rbm": ("dbn", DBN_SETTINGS),
        "dbm, pretraining layer 1": ("dbm", DBM_SETTINGS),
        "dbm, joint (mean-field + Gibbs)": ("dbm", DBM_SETTINGS),
        "helmholtz, wake-sleep": ("helmholtz", [*HELMHOLTZ_SETTINGS, "model.algorithm=wake-sleep"]),
        "helmholtz, reweighted": ("helmholtz", [*HELMHOLTZ_SETTINGS, "model.algorithm=reweighted"]),
    }
    return configurations


def phase_of(label: str) -> int | None:
    """The phase a layer-wise model is measured in: 0 for its bottom layer, 1 for the next, -2 for its whole-model
    phase (the index in LayerwiseModel.phase_bounds where it starts), None for a model trained whole."""
    if "bottom" in label or "pretraining" in label:
        return 0
    if "top rbm" in label:
        return 1
    if "joint" in label:
        return -2
    return None


class SquareProducts:
    """Float32 n x n products on a device, timed in batches of at least 50 ms (so that a timer's tick is negligible):
    the rate of the machine's fastest kernel at one moment."""

    def __init__(self, device: torch.device, n: int):
        self.device, self.n = device, n
        self.a, self.b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        self.products = 1
        seconds = timed(lambda: self.a @ self.b, device)
        while seconds * self.products < 0.05:
            self.products *= 2

    def gflops(self, repeats: int) -> float:
        """The median GFLOP/s of ``repeats`` timed batches."""
        rates = [2 * self.n ** 3 * self.products / timed(lambda: [self.a @ self.b for _ in range(self.products)],
                                                          self.device) / 1e9 for _ in range(repeats)]
        return statistics.median(rates)


def matmul_peak(device: torch.device, sizes: tuple[int, ...], repeats: int) -> dict:
    """Float32 GFLOP/s of n x n products: for each n the median over ``repeats`` timed batches; the peak is the best
    n's median, and ``size`` that n, with which the peak is measured again beside each model's timed windows."""
    by_size = {n: round(SquareProducts(device, n).gflops(repeats), 1) for n in sizes}
    best = max(by_size, key=by_size.__getitem__)
    return {"gflops": by_size[best], "size": best, "by_size": by_size, "repeats": repeats,
            "tf32": device.type == "cuda" and torch.backends.cuda.matmul.allow_tf32}


class GlobalOnly:
    """FlopCounterMode's module tracker reduced to the one total: its per-module hooks refuse a step that calls
    autograd.grad (WGAN-GP's gradient penalty), and only the total is wanted here."""

    parents = {"Global"}
    is_bw = False

    def __enter__(self) -> GlobalOnly:
        return self

    def __exit__(self, *args: object) -> None:
        return None


def in_place_product_flops(self_shape, a_shape, b_shape, *args, out_shape=None, **kwargs) -> int:
    """FLOPs of ``x.addmm_(a, b)``: FlopCounterMode counts the out-of-place addmm but has no formula for the in-place
    one, with which the Boltzmann machines' statistic subtracts its model term (genzoo.nn.dbm.statistics_difference)."""
    return 2 * a_shape[0] * a_shape[1] * b_shape[1]


def step_flops(step: Callable[[], object]) -> int:
    """FLOPs of one call of ``step``: matrix products (in-place ones included) and convolutions, forward and
    backward."""
    counter = FlopCounterMode(display=False, custom_mapping={torch.ops.aten.addmm_: in_place_product_flops})
    counter.mod_tracker = GlobalOnly()
    with counter:
        step()
    return counter.get_total_flops()


def timed(work: Callable[[], object], device: torch.device) -> float:
    synchronize(device)
    started = time.perf_counter()
    work()
    synchronize(device)
    return time.perf_counter() - started


def synthetic_images(binarized: str, device: torch.device, generator: torch.Generator) -> torch.Tensor:
    """Random MNIST-shaped images on ``device``, binary for 'fixed' binarization (the loop binarizes each batch for
    'dynamic', as the step does here)."""
    images = torch.rand(IMAGES_HELD, *MNIST_SHAPE, generator=generator)
    if binarized == "fixed":
        images = torch.bernoulli(images, generator=generator)
    return images.to(device)


def prepared_model(model_name: str, overrides: list[str], phase: int | None, device: torch.device):
    """The model of a configuration on ``device``, at the phase measured, and its run config."""
    cfg = make_run_config(model_name, "mnist", overrides=overrides)
    model = build_model(cfg, MNIST_SHAPE, 10).to(device)
    model.total_steps = 1_000_000
    if phase is not None and isinstance(model, LayerwiseModel):
        bounds = model.phase_bounds()
        model.updates.fill_(bounds[phase])   # the DBM composes itself at the first step of its joint phase
    return model, cfg


def training_steps(label: str, model_name: str, overrides: list[str], device: torch.device, seed: int,
                   ranks: Ranks | None = None) -> tuple[Callable[[int], None], int]:
    """A function that takes n training steps of a configuration's model on synthetic images, as the loop takes them
    (with ``ranks``: this rank's share of each global batch, the ranks' scalars agreed and batch-norm statistics
    averaged after each step), and the global batch size."""
    ranks = ranks or Ranks()
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model, cfg = prepared_model(model_name, overrides, phase_of(label), device)
    ranks.attach(model, seed)
    batch_size, dynamic = cfg.train.batch_size, cfg.data.binarize == "dynamic"
    ranks.check_batch(batch_size)
    share = batch_size // ranks.size
    images = synthetic_images(cfg.data.binarize, device, generator)
    labels = torch.randint(10, (IMAGES_HELD,), generator=generator).to(device)
    model.train()
    mine = [slice(i + ranks.rank * share, i + (ranks.rank + 1) * share)
            for i in range(0, IMAGES_HELD - batch_size + 1, batch_size)]
    batches = [(images[part], labels[part]) for part in mine]
    cursor = 0

    def steps(n: int) -> None:
        nonlocal cursor
        for _ in range(n):
            x, y = batches[cursor % len(batches)]
            scalars = model.train_step(sample_bernoulli(x) if dynamic else x, y)
            ranks.agree(scalars, False, False)
            ranks.after_step(model)
            cursor += 1

    return steps, batch_size


def step_throughput(label: str, model_name: str, overrides: list[str], device: torch.device, peak_gflops: float,
                    window_s: float, windows: int, warm_up_s: float, seed: int, peak_size: int) -> dict:
    """Images/s of the training step (median over timed windows after a warm-up) and the share of the run's peak it
    reaches; also the share of the peak (``peak_size`` square products) measured again just before each window, the
    median over the windows, which a machine whose speed drifts during the run leaves steadier."""
    steps, batch_size = training_steps(label, model_name, overrides, device, seed)
    peak_probe = SquareProducts(device, peak_size)
    seconds, warmed = 0.0, 0
    while seconds < warm_up_s or warmed < 2:
        seconds += timed(lambda: steps(1), device)
        warmed += 1
    per_step = seconds / warmed
    flops = step_flops(lambda: steps(1))
    steps_per_window = max(1, round(window_s / per_step))
    rates, peaks_beside = [], []
    for _ in range(windows):
        peaks_beside.append(peak_probe.gflops(3))
        rates.append(steps_per_window * batch_size / timed(lambda: steps(steps_per_window), device))
    images_per_s = statistics.median(rates)
    achieved = flops / batch_size * images_per_s / 1e9
    shares_beside = [flops / batch_size * rate / 1e9 / peak for rate, peak in zip(rates, peaks_beside)]
    return {"model": model_name, "batch_size": batch_size, "settings": overrides,
            "images_per_s": round(images_per_s, 1),
            "windows_images_per_s": [round(r, 1) for r in rates], "steps_per_window": steps_per_window,
            "step_gflop": round(flops / 1e9, 4), "achieved_gflops": round(achieved, 2),
            "share_of_peak": round(achieved / peak_gflops, 4),
            "peak_beside_windows_gflops": [round(p, 1) for p in peaks_beside],
            "share_of_peak_beside": round(statistics.median(shares_beside), 4)}


def in_fresh_process(work: Callable[..., dict], *args: object, **kwargs: object) -> dict:
    """``work(*args, **kwargs)`` run in a new interpreter (spawned), its result returned: each measurement starts
    from the state a user's run starts in. Measured one after another in one process, the Boltzmann machines' steps
    ran up to 1.5 times slower after the conv GANs' than alone (21,500 against 13,900 images/s for the rbm)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(work, *args, **kwargs).result()


def ais_seconds(device: torch.device, betas: int, chains: int, repeats: int, seed: int) -> dict:
    """Wall seconds of forward AIS (no reverse run) for log Z of a 784-500 RBM with random weights, in a process of
    its own."""
    return in_fresh_process(timed_ais, device, betas, chains, repeats, seed)


def timed_ais(device: torch.device, betas: int, chains: int, repeats: int, seed: int) -> dict:
    rbm = RBM(784, 500)
    rbm.weights.normal_(0, 0.01, generator=torch.Generator().manual_seed(seed))
    rbm.to(device)
    data = torch.bernoulli(torch.rand(1000, 784, generator=torch.Generator().manual_seed(seed))).to(device)
    schedule = annealing_schedule(betas)
    runs = [timed(lambda: log_partition_ais(rbm, schedule, chains, data, seed, reverse=False), device)
            for _ in range(repeats)]
    return {"visible": 784, "hidden": 500, "betas": betas, "chains": chains,
            "median_s": round(statistics.median(runs), 3),
            "runs_s": [round(r, 3) for r in runs]}


def device_description(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"device": str(device), "name": torch.cuda.get_device_name(device),
                "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    return {"device": str(device), "threads": torch.get_num_threads()}


def throughput(args: argparse.Namespace) -> None:
    """The throughput benchmark (python -m benchmarks.run throughput [--device cuda] [--quick])."""
    started = time.perf_counter()
    device = resolve_device(args.device)
    quick = args.quick
    sizes = (256, 512) if quick else ((1024, 2048, 4096) if device.type == "cpu" else (4096, 8192))
    peak = matmul_peak(device, sizes, repeats=2 if quick else 5)
    print(f"float32 matmul peak on {device}: {peak['gflops']} GFLOP/s", flush=True)
    if quick:
        budget = {"window_s": 0.2, "windows": 2, "warm_up_s": 0.2}
    elif device.type == "cpu":
        budget = {"window_s": 2.0, "windows": 5, "warm_up_s": 3.0}
    else:   # a GPU step takes milliseconds: the whole benchmark fits in about three minutes
        budget = {"window_s": 0.5, "windows": 5, "warm_up_s": 1.5}
    models = {}
    chosen = [name.strip() for name in args.throughput_models.split(",")] if args.throughput_models else None
    for label, (model_name, overrides) in benchmark_configurations().items():
        if chosen and model_name not in chosen:
            continue
        models[label] = in_fresh_process(step_throughput, label, model_name, overrides, device, peak["gflops"],
                                         seed=args.seed, peak_size=peak["size"], **budget)
        print(f"{label}: {models[label]['images_per_s']} images/s, {models[label]['share_of_peak']:.1%} of the run's "
              f"peak, {models[label]['share_of_peak_beside']:.1%} of the peak beside its windows", flush=True)
    ais = ais_seconds(device, 50 if quick else 14_500, 100, 1 if quick else (3 if device.type == "cpu" else 2),
                      args.seed)
    print(f"AIS 784-500, {ais['betas']} betas x {ais['chains']} chains: {ais['median_s']} s", flush=True)
    name = "throughput" if not quick else "throughput_quick"
    path = RESULTS / f"{name}.json"
    by_device = json.loads(path.read_text()).get("by_device", {}) if path.exists() else {}
    scaled = by_device.get(device.type, {}).get("scaling")   # kept from an earlier run unless measured again
    if args.ranks:
        from benchmarks import scaling  # it imports this module's harness

        measured = {label: c for label, c in benchmark_configurations().items() if not chosen or c[0] in chosen}
        scaled = {"what": " ".join((scaling.__doc__ or "").split()), "ranks": args.ranks, "budget": budget,
                  "models": scaling.scaling(measured, args.ranks, device, budget, args.seed),
                  "provenance": provenance_of_machine(args.seed, started)}
    by_device[device.type] = {   # the latest run on each kind of device: the CPU's and a GPU's side by side
        "device": device_description(device),
        "matmul_peak": peak, "models": models, "ais_784_500": ais,
        "budget": budget, "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "provenance": provenance_of_machine(args.seed, started),
        **({"scaling": scaled} if scaled else {}),
    }
    write_result(name, {"benchmark": "throughput", "quick": quick, "what": " ".join(__doc__.split()),
                        "by_device": by_device, "provenance": by_device[device.type]["provenance"]})
    print(f"written to {path}")
