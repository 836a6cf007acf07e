"""genzoo: the classic deep generative models, trained on a CPU and measured on one scale."""

__version__ = "0.1.0"
