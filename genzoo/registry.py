"""Model names on the command line, mapped to their classes; the CLI, the demo and the web page read it."""

from __future__ import annotations

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


def model_class(name: str) -> type[GenerativeModel]:
    try:
        return MODELS[name]
    except KeyError:
        raise GenzooError(f"unknown model '{name}': choose one of {', '.join(MODELS)} (see 'genzoo list')") from None
