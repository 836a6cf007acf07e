"""Plain progress lines on stderr for long commands whose output is a log file, CI or a notebook, not a terminal.

A command opens :func:`reporting` once; deep inside, estimators call :func:`tick` as they go (AIS per beta, IWAE per
batch), and a line is printed at most every ``interval`` seconds. Outside ``reporting`` (genzoo used as a library),
``tick`` prints nothing, so a layer may report without knowing who listens.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

DEFAULT_INTERVAL = 30.0


class ProgressLines:
    """Prints 'genzoo: TEXT' lines to ``stream``: what ``say`` gives at once, what ``tick`` gives at most once every
    ``interval`` seconds (the first an interval after the start, so a quick command prints none)."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, stream: TextIO | None = None):
        self.interval = interval
        self.stream = stream
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.interval

    def say(self, text: str) -> None:
        """Print ``text`` now, whatever the interval (a metric starting, a phase ending)."""
        print(f"genzoo: {text}", file=self.stream or sys.stderr, flush=True)
        self.last = time.monotonic()

    def tick(self, text: str) -> None:
        """Print ``text`` if the interval has passed since the last line."""
        if self.due():
            self.say(text)


_active: list[ProgressLines | None] = []   # the innermost block decides; None: silenced


@contextmanager
def reporting(interval: float = DEFAULT_INTERVAL, stream: TextIO | None = None) -> Iterator[ProgressLines]:
    """Make :func:`tick` and :func:`say` print, at most every ``interval`` seconds, while the block runs."""
    lines = ProgressLines(interval, stream)
    _active.append(lines)
    try:
        yield lines
    finally:
        _active.pop()


@contextmanager
def silenced() -> Iterator[None]:
    """No progress lines while the block runs (the training loop's scheduled evaluations, which its own line covers)."""
    _active.append(None)
    try:
        yield
    finally:
        _active.pop()


def say(text: str) -> None:
    """A progress line now, if a command is reporting."""
    if _active and _active[-1] is not None:
        _active[-1].say(text)


def tick(what: str, done: int, total: int) -> None:
    """'WHAT: DONE/TOTAL' if a command is reporting and its interval has passed."""
    if _active and _active[-1] is not None:
        _active[-1].tick(f"{what}: {done:,}/{total:,}")
