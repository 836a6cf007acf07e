"""Benchmarks that train and measure genzoo's models: ``python -m benchmarks.run NAME`` from the repository root."""
