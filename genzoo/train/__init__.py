"""The training loop: it feeds batches, logs, samples and checkpoints, and knows no model family."""
