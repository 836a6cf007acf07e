"""Model names on the command line, mapped to their classes; the CLI, the demo and the web page read it."""

from __future__ import annotations

from collections.abc import Callable

from genzoo.errors import GenzooError
from genzoo.models.base import GenerativeModel
from genzoo.models.cgan import CGAN
from genzoo.models.dbm import DeepBoltzmannMachine
from genzoo.models.dbn import DBN
from genzoo.models.dcgan import DCGAN
from genzoo.models.gan import GAN
from genzoo.models.helmholtz import HelmholtzMachine
from genzoo.models.infogan import InfoGAN
from genzoo.models.rbm import RestrictedBoltzmannMachine
from genzoo.models.stackgan import StackGAN
from genzoo.models.vae import VAE
from genzoo.models.wgan import WGAN, WGANGP

MODELS: dict[str, type[GenerativeModel]] = {cls.name: cls for cls in (
    VAE, GAN, DCGAN, CGAN, InfoGAN, StackGAN, WGAN, WGANGP, RestrictedBoltzmannMachine, DBN, DeepBoltzmannMachine,
    HelmholtzMachine)}


def names(where: Callable[[type[GenerativeModel]], bool]) -> str:
    """The registered names whose class satisfies ``where``, comma-separated: the lists of models in messages and help,
    derived from the classes' flags so that a new model joins them by being registered."""
    return ", ".join(name for name, cls in MODELS.items() if where(cls))


def model_class(name: str) -> type[GenerativeModel]:
    try:
        return MODELS[name]
    except KeyError:
        raise GenzooError(f"unknown model '{name}': choose one of {', '.join(MODELS)} (see 'genzoo list')") from None
