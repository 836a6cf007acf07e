"""One module per model family; each exposes a GenerativeModel subclass and its config dataclass."""
