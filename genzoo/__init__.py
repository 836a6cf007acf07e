"""genzoo: the classic deep generative models, trained on a CPU and measured on one scale.

The public API: :func:`load` a trained run, ``model.sample(n)``, :func:`evaluate` a model or samples.
"""

import os

from genzoo import evaluate  # the package is callable: genzoo.evaluate(model_or_samples, ...)
from genzoo.api import load
from genzoo.errors import GenzooError
from genzoo.version import __version__

# torch's OpenMP threads (libgomp) wait for the next parallel region by spinning, by default up to GOMP_SPINCOUNT =
# 300,000 iterations (milliseconds): two processes sharing the cores then burn the CPU each other's threads need
# (issue 29 saw 10-30x). Passive waiting cured that, but a job alone ran 1.4 times slower, its threads asleep in the
# microseconds between a step's small operations. A spin of 1,000 iterations (about 10 us) bridges those gaps and
# still yields the cores to another job (benchmarks/contention.py measures all three). PASSIVE is for OpenMP runtimes
# other than libgomp, which ignore GOMP_SPINCOUNT; libgomp takes the explicit count over the policy. Either variable
# set by the user is left alone. libgomp reads them once, when torch loads: set them before that (nothing imported
# above loads torch).
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"], os.environ["GOMP_SPINCOUNT"] = "PASSIVE", "1000"

__all__ = ["GenzooError", "__version__", "evaluate", "load"]
