"""How many times each jitted function has been traced: tests check that a repeated call
compiles nothing new."""

from __future__ import annotations

from collections import Counter

__all__ = ["trace_count"]

_TRACES: Counter = Counter()


def trace_count(name: str = "chunk_kernel") -> int:
    """How many times a jitted kernel has been traced (compiled) in this process."""
    return _TRACES[name]

