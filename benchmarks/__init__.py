"""Benchmarks that train and measure genzoo's models; run from the repository root as ``python -m benchmarks.run NAME``."""
