"""Mixed precision (train.precision): bf16 trains the autograd models on the CPU with float32 weights and finite
scalars, the models of closed-form updates and 16-mixed on the CPU are refused in one line, and 32 reads as text."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import TINY
from test_cgan import TINY_CGAN
from test_stackgan import TINY_STACKGAN, captioned  # noqa: F401  (the tiny mnist-captions fixture)

from genzoo import run
from genzoo.checkpoint import load_checkpoint
from genzoo.cli import main
from genzoo.errors import GenzooError
from genzoo.precision import autocast
from genzoo.registry import model_class

STEPS = 4


@pytest.mark.parametrize("model", ["vae", "dcgan", "wgan-gp"])
def test_bf16_trains_a_tiny_model_on_the_cpu_with_float32_weights(model, tiny_config, tmp_path):
    cfg = tiny_config(model, "train.precision=bf16", f"train.max_steps={STEPS}")
    lines: list[str] = []
    products: set[torch.dtype] = set()   # the dtypes the networks' layers computed in

    def record(module: torch.nn.Module, inputs: object, output: object) -> None:
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            products.add(output.dtype)   # type: ignore[attr-defined]

    hook = torch.nn.modules.module.register_module_forward_hook(record)
    try:
        outcome, trainer = run.train(cfg, tmp_path / "run", progress_bar=False, device="cpu", announce=lines.append)
    finally:
        hook.remove()
    assert torch.bfloat16 in products
    assert outcome == "finished" and trainer.progress.step == STEPS
    assert "precision bf16" in lines[0]
    assert trainer.last_scalars and all(math.isfinite(v) for v in trainer.last_scalars.values())
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())
    for optimizer in trainer.model.optimizers.values():
        moments = [v for state in optimizer.state.values() for v in state.values()
                   if torch.is_tensor(v) and v.is_floating_point()]
        assert moments and all(m.dtype == torch.float32 for m in moments)
    assert run.open_run(tmp_path / "run").model.sample(4).dtype == torch.float32   # sampling stays float32


IMPROVED_GAN = ["model.feature_matching=true", "model.minibatch_kernels=4", "model.minibatch_kernel_dims=3",
                "model.historical_averaging=0.1", "model.virtual_batch_norm=true", "model.reference_batch_size=8"]
EVERY_MODEL = {**TINY, "cgan": TINY_CGAN["conv"], "stackgan": TINY_STACKGAN,
               "dcgan with the Improved-GAN techniques": [*TINY["dcgan"], *IMPROVED_GAN]}


@pytest.mark.parametrize("name", [name for name in EVERY_MODEL if model_class(name.split()[0]).mixed_precision])
def test_every_model_that_takes_mixed_precision_trains_under_bf16(name, request, tmp_path):
    model = name.split()[0]
    data = "mnist-captions" if model == "stackgan" else "digits"
    if model == "stackgan":
        request.getfixturevalue("captioned")
    cfg = run.make_run_config(model, data, overrides=[*EVERY_MODEL[name], "train.precision=bf16",
                                                      "train.max_steps=2"])
    _, trainer = run.train(cfg, tmp_path / "run", progress_bar=False, device="cpu")
    assert trainer.progress.step == 2 and all(math.isfinite(v) for v in trainer.last_scalars.values())


def test_the_forward_pass_runs_in_bfloat16_under_the_run_precision():
    layer = torch.nn.Linear(4, 4)
    with autocast("bf16", torch.device("cpu")):
        assert layer(torch.ones(2, 4)).dtype == torch.bfloat16
    with autocast("32", torch.device("cpu")):
        assert layer(torch.ones(2, 4)).dtype == torch.float32


def test_the_first_line_says_float32_by_default(tiny_config, tmp_path):
    lines: list[str] = []
    run.train(tiny_config("vae", "train.max_steps=1"), tmp_path / "run", progress_bar=False, announce=lines.append)
    assert "precision 32 (float32)" in lines[0]


@pytest.mark.parametrize("model", ["rbm", "dbm", "helmholtz"])
def test_models_without_autograd_forward_passes_refuse_mixed_precision_in_one_line(model):
    with pytest.raises(GenzooError, match="mixed precision is for vae, gan, dcgan") as caught:
        run.make_run_config(model, "digits", overrides=["train.precision=bf16"])
    assert "\n" not in str(caught.value) and model in str(caught.value)


def test_16_mixed_on_the_cpu_is_one_line(tiny_config, tmp_path, capsys):
    with pytest.raises(GenzooError, match="16-mixed needs CUDA.*bf16"):
        run.train(tiny_config("vae", "train.precision=16-mixed"), tmp_path / "run", device="cpu")
    assert not (tmp_path / "run").exists()
    code = main(["train", "vae", "--data", "digits", "--precision", "16-mixed", "--device", "cpu",
                 "--out", str(tmp_path / "cli")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "16-mixed needs CUDA" in err


def test_precision_32_given_with_set_is_read_as_text():
    cfg = run.make_run_config("rbm", "digits", overrides=["train.precision=32"])
    assert cfg.train.precision == "32"
    assert run.make_run_config("vae", "digits", {"train": {"precision": "bf16"}}).train.precision == "bf16"
    with pytest.raises(GenzooError, match="choose one of 32, bf16, 16-mixed"):
        run.make_run_config("vae", "digits", overrides=["train.precision=16"])


def test_precision_cannot_change_a_run_being_resumed(tmp_path, capsys):
    code = main(["train", "vae", "--data", "digits", "--resume", "--precision", "bf16", "--out", str(tmp_path)])
    assert code == 2 and "--precision cannot change a run being resumed" in capsys.readouterr().err


def test_the_shared_step_goes_through_the_scaler_and_skips_a_step_whose_gradients_overflowed(tiny_config):
    model = run.build_model(tiny_config("vae"), (1, 8, 8), 10)
    model.grad_scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    before = [p.detach().clone() for p in model.parameters()]
    model._update("adam", sum(p.sum() for p in model.parameters()) * float("inf"))
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before))   # skipped
    assert model.grad_scaler.get_scale() == 2.0**9                               # and the scale backed off
    plain = run.build_model(tiny_config("vae"), (1, 8, 8), 10)
    model._update("adam", sum(p.square().sum() for p in model.parameters()))
    plain._update("adam", sum(p.square().sum() for p in plain.parameters()))
    for scaled, unscaled in zip(model.parameters(), plain.parameters()):   # the step of the unscaled gradient
        torch.testing.assert_close(scaled, unscaled)


def test_16_mixed_keeps_its_scaler_in_the_checkpoint_and_resumes_with_it(tiny_config, tmp_path, monkeypatch):
    monkeypatch.setattr(run, "check_precision", lambda precision, device: None)   # float16 autocast on the CPU here
    monkeypatch.setattr(run, "gradient_scaler", lambda precision, device: torch.amp.GradScaler("cpu", init_scale=3.0))
    cfg = tiny_config("dcgan", "train.precision=16-mixed", "train.max_steps=3")
    _, trainer = run.train(cfg, tmp_path / "run", progress_bar=False, device="cpu")
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["grad_scaler"]["scale"] == 3.0
    monkeypatch.setattr(run, "gradient_scaler", lambda precision, device: torch.amp.GradScaler("cpu"))
    _, resumed = run.resume(tmp_path / "run", max_steps=4, progress_bar=False, device="cpu")
    assert resumed.progress.step == 4 and resumed.model.grad_scaler.get_scale() == 3.0   # the saved scale, restored
    assert all(p.dtype == torch.float32 for p in resumed.model.parameters())
