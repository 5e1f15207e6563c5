"""Reports: figures (a result in, a matplotlib Figure out), text tables and the HTML report."""

from .html import write_report

__all__ = ["write_report"]
