"""The ``creditsim`` command (``creditsim.cli.main``)."""

from .main import main

__all__ = ["main"]
