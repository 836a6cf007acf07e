"""genzoo: the classic deep generative models, trained on a CPU and measured on one scale.

The public API: :func:`load` a trained run, ``model.sample(n)``, :func:`evaluate` a model or samples.
"""

import os

from genzoo import evaluate  # the package is callable: genzoo.evaluate(model_or_samples, ...)
from genzoo.api import load
from genzoo.errors import GenzooError
from genzoo.version import __version__

# torch's OpenMP threads (libgomp) spin for up to ~300,000 iterations (milliseconds) waiting for the next parallel
# region; two processes sharing the cores then burn the CPU each other's threads need (issue 29 saw 10-30x).
# Passive waiting makes an idle thread sleep instead. libgomp reads this once, when torch loads: set it before that
# (nothing imported above loads torch).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["GenzooError", "__version__", "evaluate", "load"]
