"""The run plan: ``simulate``'s arguments checked once into how the run is cut into work.

A run is a grid of work units: a chunk of loans (padded to one of a few standard lengths)
under a block of scenarios.  Each unit's result is a set of exact integer totals for its
scenarios, so units can be run in any order, on any device or machine, and merged into
the same numbers (``creditsim.run.unit.Totals``).  Within a unit the horizon runs in month spans
between which finished loans may be dropped (``creditsim.run.unit``).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..spec.strategy import Strategy
from ..spec.strategy import strategy as _as_strategy

__all__ = ["RunPlan", "WorkUnit", "DEFAULT_CHUNK_SIZE", "WORK_PER_CALL", "MAX_SCENARIO_BATCH",
           "DEFAULT_MONTH_SPAN", "DEFAULT_MIN_DROP_SIZE", "make_plan"]

#: Loans per chunk when ``chunk_size`` is not given: memory is O(chunk), not O(book).
DEFAULT_CHUNK_SIZE = 1 << 18
#: Loan-scenarios one kernel call aims at when ``scenario_batch`` is not given: the batch is
#: this over the chunk length, as a power of two in [``MIN_SCENARIO_BATCH``,
#: ``MAX_SCENARIO_BATCH``] (8 scenarios for a full chunk of 2**18 loans; more for smaller
#: books, whose calls would otherwise cost more in overhead than in work).
WORK_PER_CALL = 1 << 21
MIN_SCENARIO_BATCH = 8
MAX_SCENARIO_BATCH = 256
#: Months per kernel call: between calls, loans finished (paid off or charged off, with
#: nothing left to recover) in every scenario of a block are dropped from the chunk.
DEFAULT_MONTH_SPAN = 6
#: The smallest chunk that dropping finished loans halves down to: below it a kernel call
#: costs next to nothing, and each smaller size would be one more compilation.
DEFAULT_MIN_DROP_SIZE = 4096
#: Dropping halves the chunk while at most this share of the new size would be live.
DROP_BELOW = 0.4
_MAX_LOANS = 2**32  # loan indices are 32-bit randomness counters


@dataclass(frozen=True)
class WorkUnit:
    """One piece of a run: the loans ``loans`` (a slice of the book, padded to the plan's
    chunk length) under the scenarios ``scenarios``; ``chunk`` numbers the loan slice."""

    chunk: int
    loans: slice
    scenarios: slice

    @property
    def n_loans(self) -> int:
        return self.loans.stop - self.loans.start

    @property
    def n_scenarios(self) -> int:
        return self.scenarios.stop - self.scenarios.start


@dataclass(frozen=True)
class RunPlan:
    """How a run is cut into work units and month spans.

    Attributes
    ----------
    n_loans, horizon, scenarios, seed
        The book's size, months, Monte Carlo scenarios and the seed.
    chunk
        Loans per kernel call (the padded chunk length).
    scenario_batch
        Scenarios per kernel call (full blocks; see ``scenario_blocks``).
    n_strategies, strategy_batch
        Strategies of the run (0: none) and how many one kernel call steps together
        (``strategy_groups``).
    month_span
        Months per kernel call (even) where finished loans can be dropped; the horizon
        otherwise.
    min_drop_size
        Dropping halves a chunk down to this many loans, not below.
    groups
        Sizes of consecutive runs of loans that no chunk straddles (``chunks``); empty:
        the whole book is one run.
    """

    n_loans: int
    horizon: int
    scenarios: int
    seed: int
    chunk: int
    scenario_batch: int
    n_strategies: int
    strategy_batch: int
    month_span: int
    min_drop_size: int
    groups: tuple[int, ...] = ()

    def chunks(self) -> list[slice]:
        """The book's loans, chunk by chunk: consecutive pieces of ``chunk`` loans, each
        within one of ``groups`` (sizes of consecutive runs of loans no chunk straddles:
        with originations, the book's loans, then the new loans entering in each month)
        where given."""
        sizes = self.groups or (self.n_loans,)
        out, start = [], 0
        for size in sizes:
            out += [slice(a, min(a + self.chunk, start + size)) for a in range(start, start + size, self.chunk)]
            start += size
        return out

    def scenario_blocks(self) -> list[slice]:
        """Scenario slices for the kernel calls: full batches, then the remainder in blocks
        of ``MIN_SCENARIO_BATCH``, then what is left (fewer than that) in one block of the
        power of two at or above it, so that any number of scenarios uses at most three
        compiled batch sizes.  The last block may reach past ``scenarios``
        (``padded_scenarios``): those few scenarios (at most 3 and fewer than half the
        block) are simulated and left out of the totals, since a compilation costs more than
        simulating them."""
        blocks, start = [], 0
        while start < self.scenarios:
            left = self.scenarios - start
            size = self.scenario_batch if left >= self.scenario_batch else \
                MIN_SCENARIO_BATCH if left >= MIN_SCENARIO_BATCH else min(1 << (left - 1).bit_length(),
                                                                           self.scenario_batch)
            blocks.append(slice(start, start + size))
            start += size
        return blocks

    @property
    def padded_scenarios(self) -> int:
        """Scenarios the kernel calls simulate: ``scenarios``, or a few more where the last
        block is padded (``scenario_blocks``)."""
        return self.scenario_blocks()[-1].stop

    def strategy_groups(self) -> list[slice]:
        """The strategies of each kernel call: groups of ``strategy_batch``, then the
        remainder in powers of two, so that any number of strategies compiles at most a
        few kernels (one, with ``strategy_batch`` 1)."""
        groups, start = [], 0
        while start < self.n_strategies:
            left = self.n_strategies - start
            size = self.strategy_batch if left >= self.strategy_batch else 1 << (left.bit_length() - 1)
            groups.append(slice(start, start + size))
            start += size
        return groups

    def units(self) -> list[WorkUnit]:
        """Every work unit, chunk by chunk (each chunk's scenario blocks in order)."""
        return [WorkUnit(i, loans, sl) for i, loans in enumerate(self.chunks()) for sl in self.scenario_blocks()]

    def spans(self, start: int = 0) -> list[tuple[int, int]]:
        """The month spans ``(t0, t1)`` of a unit: months t0+1..t1 in one kernel call, from
        month ``start`` (even: a chunk of new loans that all enter after it starts there)."""
        return [(t, min(t + self.month_span, self.horizon)) for t in range(start, self.horizon, self.month_span)]

    def loan_months(self, unit: WorkUnit | None = None) -> int:
        """Loan-months simulated by ``unit`` (or the whole run), strategies counted apart."""
        n_strat = max(self.n_strategies, 1)
        if unit is None:
            return self.n_loans * self.horizon * self.scenarios * n_strat
        return unit.n_loans * self.horizon * unit.n_scenarios * n_strat


def positive_int(field: str, value, upper: int | None = None) -> int:
    """``value`` as an int >= 1 (and <= ``upper``), else a ``ValueError`` naming ``field``."""
    try:
        if isinstance(value, bool):
            raise TypeError
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"simulate: {field} must be a whole number, got {value!r}") from None
    if v < 1:
        raise ValueError(f"simulate: {field} must be >= 1, got {value!r}")
    if upper is not None and v > upper:
        raise ValueError(f"simulate: {field} must be <= {upper}, got {value!r}")
    return v


def check_seed(seed) -> int:
    try:
        if isinstance(seed, bool):
            raise TypeError
        seed = operator.index(seed)
    except TypeError:
        raise ValueError(f"simulate: seed must be a whole number, got {seed!r}") from None
    if not 0 <= seed < 2**63:
        raise ValueError(f"simulate: seed must be in [0, 2**63), got {seed!r}")
    return seed


#: With originations, consecutive months' new loans share a chunk until it holds this many
#: (a chunk's calls start at most a month before its first loan enters, so a chunk of
#: several months computes its later loans before they are lent; smaller chunks cost more
#: per loan-month).  Measured (benchmarks/README.md, 25,000 new loans a month, 36 months, 32
#: scenarios): 22.7 s month by month, 17.8 s at 50,000, 17.4 s at 75,000, 15.2 s at
#: 150,000, 19.9 s at 250,000.
NEW_LOANS_PER_CHUNK = 131_072


#: Books up to this many loans are padded to a power of two: their kernel calls cost next
#: to nothing, so fewer compiled shapes (each a compilation of seconds) matter more than
#: the padding.
SMALL_CHUNK = 1 << 14


def padded_length(n: int, cap: int) -> int:
    """Chunk length for ``n`` loans: up to ``SMALL_CHUNK`` loans, the power of two at or
    above ``n`` (at least 256); above, ``n`` rounded up to an eighth of its power of two
    (padding at most 12.5%); at most ``cap``.  Books of similar size share one compiled
    shape."""
    if n <= SMALL_CHUNK:
        return min(cap, max(256, 1 << max(n - 1, 0).bit_length()))
    step = 1 << (n.bit_length() - 4)
    return min(cap, -(-n // step) * step)


def default_scenario_batch(chunk: int) -> int:
    """Scenarios per kernel call for a chunk of ``chunk`` loans: ``WORK_PER_CALL / chunk``
    as a power of two (rounded down), in [``MIN_SCENARIO_BATCH``, ``MAX_SCENARIO_BATCH``]."""
    b = max(WORK_PER_CALL // max(chunk, 1), 1)
    return min(max(1 << (b.bit_length() - 1), MIN_SCENARIO_BATCH), MAX_SCENARIO_BATCH)


def default_strategy_batch(value, n: int) -> int:
    """Strategies stepped together in one kernel call: ``value`` (at most ``n``), or by
    default one on a CPU (together measured no faster there, with ``n`` times the month's
    temporary arrays; and one compiled kernel serves any number of strategies) and on an
    accelerator the largest power of two up to ``n`` (vectorised; the rest in smaller
    powers of two, so that few kernels are compiled whatever ``n``)."""
    if value is None:
        import jax

        return 1 if jax.default_backend() == "cpu" else 1 << (n.bit_length() - 1)
    return min(value, n)


def strategies(value) -> list[Strategy]:
    """``simulate``'s ``strategies`` argument as a list of ``Strategy`` (empty for none)."""
    if value is None:
        return []
    if isinstance(value, (str, Strategy, Mapping)):
        value = [value]
    if not isinstance(value, Iterable):
        raise ValueError(f"simulate: strategies must be a Strategy, a preset name, a dict or a list of them, "
                         f"got {value!r}")
    out = []
    for i, s in enumerate(value):
        if not isinstance(s, (str, Strategy, Mapping)):
            raise ValueError(f"simulate: strategies[{i}] must be a Strategy, a preset name or a dict, got {s!r}")
        out.append(_as_strategy(s))
    if not out:
        raise ValueError("simulate: strategies is empty; give None for no strategy")
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"simulate: strategy names must be unique, {dup!r} repeat")
    return out


def make_plan(*, n_loans: int, horizon, scenarios, seed, chunk_size=None, scenario_batch=None, n_strategies=0,
              strategy_batch=None, month_span=None, min_drop_size=None, spans: bool = True,
              entries=None) -> RunPlan:
    """Check ``simulate``'s sizing arguments into a ``RunPlan`` (errors name the argument).

    ``spans`` False runs the horizon in one kernel call (nothing can be dropped).
    ``entries``: with originations, the new loans entering in each month 1..horizon (the
    last of the ``n_loans``): they are chunked apart month by month, so that a chunk's
    kernel calls start at most a month before its loans enter (``run_unit``), and the chunk
    length is sized from a month's new loans."""
    horizon = positive_int("horizon", horizon, upper=2**24 - 1)
    scenarios = positive_int("scenarios", scenarios, upper=2**32)
    seed = check_seed(seed)
    if n_loans > _MAX_LOANS:
        raise ValueError(f"simulate: the book has {n_loans} loans, more than {_MAX_LOANS}")
    cap = positive_int("chunk_size", chunk_size) if chunk_size is not None else DEFAULT_CHUNK_SIZE
    chunk = padded_length(min(n_loans, cap), cap)
    groups: tuple[int, ...] = ()
    if entries is not None:
        entries = [int(x) for x in entries]
        n_new = sum(entries)
        # consecutive months' new loans together, until a group holds NEW_LOANS_PER_CHUNK
        merged, acc = [], 0
        for x in entries:
            acc += x
            if acc >= NEW_LOANS_PER_CHUNK:
                merged.append(acc)
                acc = 0
        if acc:
            merged.append(acc)
        groups = tuple(x for x in [n_loans - n_new] + merged if x > 0)
        if n_new:
            chunk = padded_length(min(max(merged), cap), cap)
    batch = positive_int("scenario_batch", scenario_batch) if scenario_batch is not None \
        else default_scenario_batch(chunk)
    if strategy_batch is not None:
        strategy_batch = positive_int("strategy_batch", strategy_batch)
    span = positive_int("month_span", month_span) if month_span is not None else DEFAULT_MONTH_SPAN
    if span % 2:  # a call starts on an even month (the kernel's random words come in pairs)
        raise ValueError(f"simulate: month_span must be even, got {month_span!r}")
    drop = positive_int("min_drop_size", min_drop_size) if min_drop_size is not None else DEFAULT_MIN_DROP_SIZE
    return RunPlan(n_loans=n_loans, horizon=horizon, scenarios=scenarios, seed=seed, chunk=chunk,
                   scenario_batch=batch, n_strategies=n_strategies,
                   strategy_batch=default_strategy_batch(strategy_batch, n_strategies) if n_strategies else 1,
                   month_span=span if spans else horizon, min_drop_size=drop, groups=groups)
