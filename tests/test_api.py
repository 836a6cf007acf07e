"""The public Python API: genzoo.load, model.sample, genzoo.evaluate, and the version, against the CLI's numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from test_eval import digits_as_npz

import genzoo
from genzoo.cli import main
from genzoo.errors import GenzooError
from genzoo.run import train


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "vae"
    from conftest import TINY

    from genzoo.run import make_run_config

    train(make_run_config("vae", "digits", overrides=[*TINY["vae"], "train.max_steps=10"]), out, progress_bar=False)
    return out


def test_import_genzoo_is_light_and_names_its_api():
    code = "import sys, genzoo; print(sorted(genzoo.__all__), 'torch' in sys.modules)"
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "['GenzooError', '__version__', 'evaluate', 'load'] False"


def test_version_is_the_package_metadata(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"genzoo {metadata.version('genzoo')}" == f"genzoo {genzoo.__version__}"


def test_load_samples_and_evaluate_give_the_cli_numbers(vae_run, capsys):
    model = genzoo.load(vae_run)
    assert not model.training and model.run_config.dataset == "digits"
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, 8, 8) and 0 <= images.min() and images.max() <= 1
    numbers = genzoo.evaluate(model, metrics="fd,kid", n=100, seed=1)
    assert main(["eval", str(vae_run), "-n", "100", "--seed", "1", "--metrics", "fd,kid"]) == 0
    saved = json.loads((vae_run / "eval.json").read_text())["metrics"]
    assert numbers["fd"] == saved["fd"] and numbers["kid"]["value"] == saved["kid"]["value"]
    assert "precision" not in numbers


def test_evaluate_samples_from_a_tensor_an_array_and_a_file_agree(tmp_path):
    path = digits_as_npz(tmp_path / "real.npz", split="validation")
    x = np.load(path)["x"]
    from_file = genzoo.evaluate(path, data="digits", metrics=["fd"])
    from_array = genzoo.evaluate(x, data="digits", metrics=["fd"])
    from_tensor = genzoo.evaluate(torch.from_numpy(x).float() / 255, data="digits", metrics=["fd"])
    assert from_file["fd"] == from_array["fd"] == pytest.approx(from_tensor["fd"], rel=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: genzoo.load("pretrained:no-such-model"), "no shipped model 'no-such-model'"),
    (lambda: genzoo.load("no/such/run"), "no run at no/such/run"),
    (lambda: genzoo.evaluate(np.zeros((4, 1, 8, 8))), "data="),
    (lambda: genzoo.evaluate(np.full((20, 1, 8, 8), 2.0), data="digits"), "[0, 1]"),
    (lambda: genzoo.evaluate(np.zeros((20, 1, 8, 8)), data="digits", metrics=["fd", "bogus"]), "unknown metric"),
])
def test_api_mistakes_are_genzoo_errors(call, message):
    with pytest.raises(GenzooError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()
