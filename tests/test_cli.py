"""The command line: the happy path end to end on digits, and every bad input as one clear line."""

import numpy as np
import pytest
from conftest import TINY, write_fake_mnist
from PIL import Image

from genzoo.cli import main

TINY_VAE = [arg for pair in TINY["vae"] for arg in ("--set", pair)]


def one_line_error(capsys, argv, code=2):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("genzoo: error: "), err
    return err


def test_train_sample_info_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "5", "--out", str(out), "--quiet", *TINY_VAE]) == 0
    assert "finished 5 steps" in capsys.readouterr().out
    assert (out / "config.yaml").exists() and (out / "metrics.jsonl").exists()
    assert main(["train", "vae", "--data", "digits", "--max-steps", "9", "--out", str(out), "--quiet", "--resume"]) == 0
    assert "finished 9 steps" in capsys.readouterr().out

    assert main(["sample", str(out), "-n", "10", "--out", str(tmp_path / "s.npz")]) == 0
    x = np.load(tmp_path / "s.npz")["x"]
    assert x.shape == (10, 1, 8, 8) and x.dtype == np.uint8 and x.max() > x.min()
    assert main(["sample", str(out), "-n", "9", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (3 * 10 + 2, 3 * 10 + 2)

    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "step 9" in info and "model.latent_dim = 2" in info and "vae" in info


def test_list_names_models_and_datasets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("vae", "dcgan", "mnist", "fashion-mnist", "digits", "folder:PATH"):
        assert name in out


def test_unknown_model(capsys):
    assert "unknown model 'vea'" in one_line_error(capsys, ["train", "vea", "--data", "digits"])


def test_unknown_dataset(capsys, tmp_path):
    err = one_line_error(capsys, ["train", "vae", "--data", "cifar", "--out", str(tmp_path / "r")])
    assert "cifar" in err and "mnist" in err


def test_bad_set(capsys):
    assert "expected int" in one_line_error(capsys, ["train", "vae", "--data", "digits", "--set", "latent_dim=big"])


def test_missing_data_directory(capsys, tmp_path):
    err = one_line_error(capsys, ["train", "vae", "--data", "mnist", "--out", str(tmp_path / "r"),
                                  "--data-dir", str(tmp_path / "nowhere")])
    assert "nowhere" in err and "does not exist" in err


def test_no_data_and_no_network(capsys, tmp_path, offline):
    err = one_line_error(capsys, ["train", "vae", "--data", "mnist", "--out", str(tmp_path / "r")])
    assert "--data-dir" in err and "GENZOO_DATA_DIR" in err and "download failed" in err


def test_truncated_idx_file(capsys, tmp_path, offline):
    write_fake_mnist(tmp_path / "data")
    images = tmp_path / "data" / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:-10])
    err = one_line_error(capsys, ["train", "vae", "--data", "mnist", "--out", str(tmp_path / "r"),
                                  "--data-dir", str(tmp_path / "data")])
    assert "train-images-idx3-ubyte.gz" in err


def test_tampered_checkpoint(capsys, tmp_path):
    out = tmp_path / "run"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "2", "--out", str(out), "--quiet", *TINY_VAE]) == 0
    data = bytearray((out / "checkpoint.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (out / "checkpoint.pt").write_bytes(bytes(data))
    assert "damaged" in one_line_error(capsys, ["sample", str(out), "--out", str(tmp_path / "g.png")])
    assert "damaged" in one_line_error(capsys, ["train", "vae", "--data", "digits", "--out", str(out), "--resume"])


def test_unwritable_output_directory(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    err = one_line_error(capsys, ["train", "vae", "--data", "digits", "--out", str(blocker / "run")])
    assert "cannot write to the output directory" in err


def test_resume_refuses_new_settings(capsys, tmp_path):
    err = one_line_error(capsys, ["train", "vae", "--data", "digits", "--out", str(tmp_path), "--resume",
                                  "--set", "model.lr=1"])
    assert "cannot change a run being resumed" in err


def test_sample_needs_a_known_format_and_a_run(capsys, tmp_path):
    assert ".png grid or a .npz" in one_line_error(capsys, ["sample", str(tmp_path), "--out", "x.jpg"])
    assert "no run at" in one_line_error(capsys, ["sample", str(tmp_path / "none"), "--out", "x.png"])


def test_usage_mistakes_are_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "vae"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--data" in err


@pytest.mark.parametrize("argv", [["sample", "run", "-n", "0", "--out", "g.png"],
                                  ["sample", "run", "--seed", "99999999999999999999", "--out", "g.png"],
                                  ["train", "vae", "--data", "digits", "--epochs", "-3"],
                                  ["eval", "run", "-n", "5"]])
def test_counts_must_be_positive(capsys, argv):
    with pytest.raises(SystemExit):
        main(argv)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and any(bound in err for bound in ("at least 1", "from 0 to 2147483647", "from 10 to"))


def test_dcgan_trains_on_a_folder_of_rgb_images(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for label in ("circles", "squares"):
        (tmp_path / "images" / label).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "images" / label / f"{i}.png")
    out = tmp_path / "run"
    assert main(["train", "dcgan", "--data", f"folder:{tmp_path / 'images'}", "--out", str(out), "--quiet",
                 "--max-steps", "2", "--set", "data.image_size=32", "--set", "data.channels=3",
                 "--set", "train.batch_size=4", "--set", "model.generator_width=4",
                 "--set", "model.discriminator_width=4"]) == 0
    assert main(["sample", str(out), "-n", "3", "--out", str(tmp_path / "s.npz")]) == 0
    assert np.load(tmp_path / "s.npz")["x"].shape == (3, 3, 32, 32)
