"""genzoo: the classic deep generative models, trained on a CPU and measured on one scale."""

import os

# torch's OpenMP threads (libgomp) spin for up to ~300,000 iterations (milliseconds) waiting for the next parallel
# region; two processes sharing the cores then burn the CPU each other's threads need (issue 29 saw 10-30x).
# Passive waiting makes an idle thread sleep instead. libgomp reads this once, when torch loads: set it before that.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
