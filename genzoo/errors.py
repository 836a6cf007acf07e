"""The one exception type a user sees: a one-line message that says what was wrong and what to do."""


class GenzooError(Exception):
    """A problem with the user's input or environment, reported as a single line by the CLI."""
