"""genzoo: the classic deep generative models, trained on a CPU and measured on one scale.

The public API: :func:`load` a trained run, ``model.sample(n)``, :func:`evaluate` a model or samples.
"""

from importlib import metadata

from genzoo.api import evaluate, load
from genzoo.errors import GenzooError

try:
    __version__ = metadata.version("genzoo")
except metadata.PackageNotFoundError:   # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["GenzooError", "__version__", "evaluate", "load"]
