"""What a feature of the model is to the engine, and the month it acts in.

A feature (``Feature``) is a small frozen, hashable object.  It declares the random
streams it draws each month, adds its fields to each loan's carry (``init``), acts in some
of the month's phases (``PHASES``, a method of the same name), adds its per-month inputs
(``inputs``) and its totals (``finish``).  ``creditsim.engine.compose`` builds one month
step from a run's features at trace time, so the compiled program loops over months the
same way whatever the features: no per-feature scan or vmap.

A phase method takes the kernel's trace-time context ``k`` (``Kernel``: the compiled
model, the strategies' arrays, sizes and helpers) and the month ``m`` (``Month``: the
carry ``m.c`` and the month's values, read and written as attributes).  Phases run in the
order of ``PHASES``; in a phase, features act in the order they are given
(``creditsim.engine.features.features_for`` gives them in ``ORDER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import ClassVar

import jax.numpy as jnp

__all__ = ["PHASES", "STORES", "TOTAL_KINDS", "Feature", "Month", "Kernel"]

#: The month's phases, in order.  ``store_*`` phases are the month's fusion boundaries:
#: the values features name there (``Feature.stores``) are computed once and read from
#: memory by everything after (``creditsim.engine.compose._stored``; only with money, where
#: the month has many outputs).
PHASES = (
    "start",            # the month as it begins (the audit's view of it)
    "decide",           # the month's collection action, placements, contacts
    "pre_move",         # an income shock starts
    "move",             # the month's move from the loan's macro-tilted row
    "post_move",        # hardship reported; a shock's end drawn
    "defer",            # a loan in a deferral does not move
    "review",           # a fraud claim, a review's month, its outcome
    "claims",           # what the lender's rules see of a claim
    "restructure",      # a restructure: the loan's new state and its deferral
    "store_move",
    "age",              # months past due after the month
    "age_review",       # a rejected fraud claim returns as far past due as it would be
    "charge_off_rule",  # past the charge-off limit: charged off
    "age_end",          # the month's state and months past due, stored
    "restructure_money",  # a restructure's schedule: arrears capitalised, interest waived
    "fall_due",         # interest, principal and penalty fall due
    "settle",           # a settlement accepted or a judgment won: the debt closes for a fraction
    "close",            # a closed debt pays its fraction, the rest is forgiven
    "pay",              # the month's payment
    "paid_off",         # nothing left and no instalment to come: paid off
    "store_pay",
    "recover",          # recoveries after charge-off
    "after_pay",        # the charge-off month; recoveries after charge-off, recalls
    "end",              # the loan's state for next month
    "count",            # the month's outputs (occupancy, moves, money, actions)
)

#: How a total (``Feature.totals``) is put together over the spans of months of a work
#: unit and merged over units: ``"month"``, by month (``(B, months, ...)``: each span fills
#: its months of the horizon); ``"occupancy"``, by month, and loans dropped between spans
#: (finished) count in their frozen bin in every later month; ``"sum"``, added; ``"max"``,
#: the largest; ``"last"``, a value at the end of the horizon (the last span's), added over
#: units of distinct loans.
TOTAL_KINDS = ("month", "occupancy", "sum", "max", "last")

#: The store phases and the values always stored there.
STORES = {"store_move": ("c",), "store_pay": ("c",)}


def principal_owed(k: Kernel, carry: dict):
    """Each loan's principal owed (not yet due plus overdue) with loan terms, its exposure
    in money units without."""
    return carry["balance"] + carry["due_principal"] if "balance" in carry else k.units


def record_charge_off(k: Kernel, m: Month) -> None:
    """``m.c["co_at"]``: the month a loan was charged off (0: not yet), shared by the
    features that need it (``Attribution``, ``Origination``; they add the field)."""
    co = k.cm.charge_off
    m.c["co_at"] = jnp.where(co[m.new] & ~co[m.state], m.t_abs, m.c["co_at"])


class Month(SimpleNamespace):
    """One month of one scenario (of one strategy): ``c`` the carry (dict of per-loan
    arrays), ``state`` the state at the month's start, ``new`` its state at the end,
    ``t`` the month within the call, ``words`` the month's random words by stream, ``x``
    the month's inputs by name, ``out`` the month's outputs; features add their own."""


class Kernel(SimpleNamespace):
    """What every month of a kernel call shares, fixed at trace time: ``cm`` (the compiled
    model), ``strat`` (this strategy's arrays or None), ``features``, sizes (``k`` states,
    ``g1`` row groups, ``s1`` segments with padding, ``f`` flag combinations, ``nb`` and
    ``ne`` the row table's bureau and effect axes), per-loan ``group`` and ``seg``, ``t0``,
    and helpers (``store``, ``count``, ``move``)."""


@dataclass(frozen=True)
class Feature:
    """A model feature: see the module's docstring.  Subclasses set the class attributes
    and define the phase methods they act in."""

    #: The feature's name, in messages.
    name: ClassVar[str] = ""
    #: The random streams it draws each month (``creditsim.engine.rng.STREAM_*``).
    streams: ClassVar[tuple[int, ...]] = ()
    #: Values of the month it stores at each store phase (besides the carry).
    stores: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Flag values it adds to each occupancy bin (the bins are segment × state × the
    #: product over features of these): 4 for an income shock's (under a shock, hardship
    #: reported).  At most one feature of a run adds flags; it sets ``m.flags`` each month
    #: and defines ``frozen_flags(carry)``, the flag of a loan dropped once finished
    #: (``creditsim.engine.compaction``).  A feature may also
    #: keep a finished loan live between spans with ``still_live(carry, strat)``.
    flag_bins: ClassVar[int] = 1
    #: Totals it adds to a kernel call's results, each with its kind (``TOTAL_KINDS``):
    #: how it is put together over a run's spans of months and merged over work units.
    totals: ClassVar[dict[str, str]] = {}

    def setup(self, k: Kernel) -> None:
        """Trace-time constants on ``k`` (once per kernel call)."""

    def init(self, k: Kernel, carry: dict, state0) -> None:
        """Add the feature's per-loan fields at month 0 to ``carry`` (arrays like ``state0``)."""

    def init_call(self, k: Kernel, carry: dict) -> None:
        """Add per-call fields (reset at each kernel call) to ``carry``."""

    def inputs(self, k: Kernel, zs) -> dict:
        """The feature's per-month inputs of one scenario (arrays with a leading month
        axis), from its macro path ``zs``."""
        return {}

    def finish(self, k: Kernel, r: SimpleNamespace) -> None:
        """Add the feature's totals of one scenario to ``r.res`` from ``r.final`` (the carry
        after the call's months), ``r.outs`` (the months' outputs) and ``r.state0``."""

    def phases(self) -> tuple[str, ...]:
        """The phases the feature acts in (the ``PHASES`` it defines a method for)."""
        return tuple(p for p in PHASES if callable(getattr(self, p, None)))
