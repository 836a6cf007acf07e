"""eval.json gathers what each 'genzoo eval' of a run measured: a new metric is added beside the others, a metric
measured again replaces its numbers, each says when and on how many samples; a run trained further starts afresh."""

from __future__ import annotations

import json

from test_cli import TINY_VAE

from genzoo.cli import main


def test_eval_merges_metrics_into_eval_json(tmp_path, capsys):
    run = tmp_path / "vae"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "5", "--out", str(run), "--quiet", *TINY_VAE]) == 0
    assert main(["eval", str(run), "--metrics", "fd", "-n", "100"]) == 0
    fd = json.loads((run / "eval.json").read_text())["metrics"]["fd"]
    assert main(["eval", str(run), "--metrics", "kid", "-n", "200"]) == 0
    assert "beside the fd measured before" in capsys.readouterr().out
    result = json.loads((run / "eval.json").read_text())
    assert result["metrics"]["fd"] == fd and "value" in result["metrics"]["kid"]
    assert result["measured"]["fd"]["samples"] == 100 and result["measured"]["kid"]["samples"] == 200
    assert result["measured"]["kid"]["command"].endswith("--metrics kid -n 200")

    assert main(["eval", str(run), "--metrics", "fd", "-n", "300"]) == 0   # measured again: replaced
    result = json.loads((run / "eval.json").read_text())
    assert result["metrics"]["fd"] != fd and result["measured"]["fd"]["samples"] == 300
    assert set(result["measured"]) == {"fd", "kid"}

    assert main(["train", "vae", "--data", "digits", "--max-steps", "8", "--out", str(run), "--quiet", "--resume"]) == 0
    assert main(["eval", str(run), "--metrics", "kid", "-n", "100"]) == 0   # another model: the old numbers go
    result = json.loads((run / "eval.json").read_text())
    assert set(result["measured"]) == {"kid"} and "fd" not in result["metrics"] and result["step"] == 8
