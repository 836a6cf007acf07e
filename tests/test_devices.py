"""Devices: --device is checked in one line, and every model computes on the device it was moved to.

A machine without a GPU checks the second fact on PyTorch's "meta" device: a model moved there computes shapes only,
and any tensor that a step, a sample or a likelihood creates on the CPU by mistake meets a meta tensor and raises, as
it would meet a CUDA tensor on a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TINY
from test_cgan import TINY_CGAN
from test_cli import TINY_VAE, one_line_error

from genzoo.data import binarize
from genzoo.devices import available_devices, normal, resolve_device, sample_bernoulli, uniform
from genzoo.errors import GenzooError
from genzoo.run import build_model, make_run_config, open_run

META_MODELS = {**TINY, "cgan": TINY_CGAN["conv"], "cgan-mlp": TINY_CGAN["mlp"],
               "dbn": [*TINY["dbn"], "model.fine_tune_fraction=0.5"]}


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_it_is_one_line_naming_the_devices_there(capsys, tmp_path):
    with pytest.raises(GenzooError, match="no such device on this machine; it has: cpu"):
        resolve_device("cuda")
    err = one_line_error(capsys, ["train", "vae", "--data", "digits", "--out", str(tmp_path / "r"), "--device", "cuda"])
    assert "cpu" in err and not (tmp_path / "r").exists()
    assert "not a device name" in one_line_error(capsys, ["sample", str(tmp_path), "--out", "x.png",
                                                          "--device", "gpu0"])


MODEL_COMMANDS = {   # every command that runs a model, with what it needs besides --device
    "train": ["train", "vae", "--data", "digits"], "sample": ["sample", "RUN", "--out", "OUT.png"],
    "eval": ["eval", "RUN"], "arithmetic": ["arithmetic", "RUN", "--out", "OUT.png"],
    "classifier": ["classifier", "--data", "digits"], "text-encoder": ["text-encoder"], "demo": ["demo"],
    "report": ["report", "RUN"]}


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_command_that_runs_a_model_refuses_an_absent_device_in_one_line(command, capsys, tmp_path):
    argv = [arg.replace("RUN", str(tmp_path / "run")).replace("OUT", str(tmp_path / "out"))
            for arg in MODEL_COMMANDS[command]]
    out = [] if "--out" in argv else ["--out", str(tmp_path / "out")]
    err = one_line_error(capsys, [*argv, *out, "--device", "cuda:3"])
    assert "no such device on this machine; it has: cpu" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "run").exists()


def test_auto_is_cuda_when_present_else_the_cpu():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("CPU") == torch.device("cpu") and "cpu" in available_devices()


def test_seeded_draws_are_the_generators_own_numbers_on_any_device():
    drawn = uniform((3, 4), torch.device("meta"), torch.Generator().manual_seed(1))
    assert drawn.device.type == "meta" and drawn.shape == (3, 4)
    assert torch.equal(uniform((3, 4), torch.device("cpu"), torch.Generator().manual_seed(1)),
                       torch.rand(3, 4, generator=torch.Generator().manual_seed(1)))
    assert normal((2,), torch.device("meta")).device.type == "meta"


@pytest.fixture
def shapes_only(monkeypatch):
    """Meta tensors hold no numbers: reading one gives 1, conditions hold, and a moved module keeps its parameters
    (so that the optimizers still hold them, as they do after a move to a GPU)."""
    for name, value in (("item", 1.0), ("__float__", 1.0), ("__int__", 1), ("__index__", 1), ("__bool__", True)):
        monkeypatch.setattr(torch.Tensor, name, lambda self, value=value: value)
    monkeypatch.setattr(torch.distributions.Distribution, "_validate_args", False)
    swap = torch.__future__.get_swap_module_params_on_conversion()
    torch.__future__.set_swap_module_params_on_conversion(True)
    yield
    torch.__future__.set_swap_module_params_on_conversion(swap)


@pytest.mark.parametrize("name", list(META_MODELS))
def test_every_model_trains_samples_and_scores_on_the_device_it_was_moved_to(name, shapes_only):
    cfg = make_run_config(name.removesuffix("-mlp"), "digits", overrides=META_MODELS[name])
    model = build_model(cfg, (1, 8, 8), 10)
    model.total_steps = 10
    model.to("meta")
    for optimizer in model.optimizers.values():   # fused optimizer kernels exist on CPUs and GPUs, not on meta
        for group in optimizer.param_groups:
            group["fused"] = False
    x = torch.rand(32, 1, 8, 8, device="meta").bernoulli()
    y = torch.zeros(32, dtype=torch.long, device="meta")
    assert set(model.train_step(x, y)) and model.device.type == "meta"
    model.eval()
    if model.conditional:   # its check of the labels asked for reads them
        assert model.generate(model.noise(4), y[:4]).device.type == "meta"
    else:
        assert model.sample(4, torch.Generator().manual_seed(0)).device.type == "meta"
        assert model.sample(4).device.type == "meta"
        model.figures(torch.Generator().manual_seed(0))
    if name != "dbn":   # a seeded generator cannot live on the meta device, as the DBN's bound asks
        model.log_likelihood(x[:4], {"k": 3, "betas": 5, "chains": 3}, 0)


def test_a_run_trained_on_the_cpu_samples_and_scores_with_device_cpu(tmp_path, capsys):
    from genzoo.cli import main

    out = tmp_path / "run"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "3", "--out", str(out), "--quiet", "--device",
                 "cpu", *TINY_VAE]) == 0
    assert main(["sample", str(out), "-n", "4", "--out", str(tmp_path / "s.npz"), "--device", "cpu"]) == 0
    assert np.load(tmp_path / "s.npz")["x"].shape == (4, 1, 8, 8)
    assert main(["eval", str(out), "--metrics", "fd,nll", "-n", "20", "--k", "2", "--nll-images", "5",
                 "--device", "cpu"]) == 0
    assert open_run(out, "cpu").model.device == torch.device("cpu")


def test_sample_bernoulli_is_on_with_the_probability_given_and_exact_at_0_and_1():
    """P(u < p) = p for u ~ U[0, 1): the law torch.bernoulli draws, and never on at 0 nor off at 1."""
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).repeat(200_000, 1)
    draws = sample_bernoulli(p, torch.Generator().manual_seed(3))
    assert draws.dtype == p.dtype and set(draws.unique().tolist()) <= {0.0, 1.0}
    assert torch.allclose(draws.mean(0), p[0], atol=0.004)
    assert draws[:, 0].sum() == 0 and draws[:, -1].sum() == len(p)
    assert torch.equal(draws, sample_bernoulli(p, torch.Generator().manual_seed(3)))


def test_fixed_binarization_keeps_torch_bernoullis_draw():
    """The fixed binarization defines the test set every recorded likelihood was measured on: its draw must not
    change with the faster per-batch one."""
    p = torch.rand(1000, 784, generator=torch.Generator().manual_seed(0))
    expected = torch.bernoulli(p, generator=torch.Generator().manual_seed(7))
    assert torch.equal(binarize(p, torch.Generator().manual_seed(7)), expected)
