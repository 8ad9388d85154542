"""steplabel's orchestration: schema, config, sources, stages, store, card and CLI."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("steplabel")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
