"""Numbers for models: likelihood bounds and estimates, each with its spread and budget."""
