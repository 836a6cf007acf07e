import pytest

from genzoo.errors import GenzooError
from genzoo.run import make_run_config, run_config_from_dict


def test_defaults_then_model_training_defaults_then_file_then_set():
    cfg = make_run_config("dcgan", "digits", {"train": {"batch_size": 16, "epochs": 3}, "model": {"latent_dim": 7}},
                          ["train.epochs=4", "latent_dim=9"])
    assert cfg.train.batch_size == 16          # file beats the model's paper default (128)
    assert cfg.train.epochs == 4               # --set beats the file
    assert cfg.model.latent_dim == 9           # a bare key that only the model section has
    assert cfg.model.lr == 2e-4                # the paper's default stays
    assert make_run_config("dcgan", "digits").train.batch_size == 128


def test_values_are_read_as_yaml_and_coerced():
    cfg = make_run_config("vae", "digits",
                          overrides=["model.hidden=[500, 300]", "model.lr=3e-4", "train.max_steps=null"])
    assert cfg.model.hidden == (500, 300) and cfg.model.lr == 3e-4 and cfg.train.max_steps is None


def test_auto_likelihood_follows_binarization():
    assert make_run_config("vae", "digits", overrides=["data.binarize=dynamic"]).model.likelihood == "bernoulli"
    assert make_run_config("vae", "digits", overrides=["data.binarize=none"]).model.likelihood == "gaussian"


def test_a_bernoulli_likelihood_of_grey_pixels_is_refused_before_training():
    """The VAE's distributions skip torch's per-call checks, so a law of binary pixels given grey ones must be a
    one-line error at the start, not a cross-entropy of grey targets."""
    with pytest.raises(GenzooError, match="data.binarize=dynamic") as err:
        make_run_config("vae", "digits", overrides=["data.binarize=none", "model.likelihood=bernoulli"])
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("pair, message", [
    ("model.latnt_dim=3", "unknown key 'model.latnt_dim'"),
    ("model.latent_dim=abc", "expected int"),
    ("model.latent_dim=2.5", "expected int"),
    ("train.epochs=0", "at least 1"),
    ("data.binarize=sometimes", "choose one of none, fixed, dynamic"),
    ("seed=3", "several sections (train, data)"),
    ("nothing=3", "no section has that key"),
    ("latent_dim", "is not key=value"),
    ("optim.lr=1", "unknown section 'optim'"),
    ("model.hidden=5", "expected a list"),
    ("train.seed=99999999999999999999", "at most 2147483647"),
    ("model.lr=nan", "not a finite number"),
])
def test_bad_overrides_are_one_line_errors(pair, message):
    with pytest.raises(GenzooError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        make_run_config("vae", "digits", overrides=[pair])
    assert "\n" not in str(err.value)


def test_unknown_file_section_is_rejected():
    with pytest.raises(GenzooError, match="unknown config section 'optimizer'"):
        make_run_config("vae", "digits", {"optimizer": {}})


def test_saved_config_round_trips():
    cfg = make_run_config("vae", "digits", overrides=["model.hidden=[30, 20]", "data.binarize=fixed"])
    assert run_config_from_dict(cfg.to_dict()) == cfg
