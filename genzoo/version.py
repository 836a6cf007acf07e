"""genzoo's version, read from the installed package's metadata."""

from importlib import metadata

try:
    __version__ = metadata.version("genzoo")
except metadata.PackageNotFoundError:   # run from a source tree that was never installed
    __version__ = "0+unknown"
