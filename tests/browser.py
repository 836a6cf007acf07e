"""A real headless browser for the page tests: Debian's chromium driven by Playwright through ``executable_path``.

Playwright's own browser download needs the network, so the tests use the system chromium (``.ci/run`` installs it
with apt). Where neither chromium nor Playwright is there, a test that needs them is skipped with the reason printed.
"""

from __future__ import annotations

import os
import shutil

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    """The browser to drive: $GENZOO_CHROMIUM, else the first of chromium, chromium-browser, google-chrome found."""
    given = os.environ.get("GENZOO_CHROMIUM")
    if given:
        return given
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session's page tests; skipped, with the reason, where none can be started."""
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium found (apt install chromium, or set GENZOO_CHROMIUM): browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e .[dev]")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()
