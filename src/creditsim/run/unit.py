"""A run's compiled inputs (``Job``), its named totals, and one work unit run on a device.

``Job`` holds everything a work unit needs as NumPy arrays (picklable: an executor on
other processes or machines can ship it once); ``run_unit`` simulates one unit (a chunk of
loans under a block of scenarios) over the horizon, span by span, dropping finished loans
between spans, and returns the unit's totals: exact integers, merged by ``merge`` into
the run's in any order with the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ..compile.model import CompiledModel, LoanMoney, TypeDraw
from ..compile.strategies import StrategyArrays
from ..engine import agent, compaction
from ..engine import rng as _rng
from ..engine.features import Feature
from .plan import DROP_BELOW, RunPlan, WorkUnit

__all__ = ["Job", "DeviceInputs", "Totals", "run_unit", "zeros", "merge"]


@dataclass
class Job:
    """A run compiled for its work units (NumPy arrays; the loans' arrays over the whole
    book, cut chunk by chunk)."""

    plan: RunPlan
    cm: CompiledModel
    strat: StrategyArrays | None  # the strategies stacked, or None
    features: tuple[Feature, ...]  # the run's features (the kernel's static argument)
    totals: dict  # the totals they produce, with their kinds (``creditsim.engine.features.totals_of``)
    n_out: int  # occupancy bins per month (segments x states x flags)
    z: np.ndarray  # (S, T) float64 macro paths
    keys: np.ndarray  # (S, 2) uint32 scenario keys
    fraud_hazard: np.ndarray  # (T,) float64
    seg: np.ndarray  # (N,) int32 segment index
    state0: np.ndarray  # (N,) int32 state index at month 0
    units: np.ndarray  # (N,) int32 exposure in money units
    group: np.ndarray  # (N,) int32 row group (segment and behaviour type)
    money: LoanMoney | None  # (N,) loan terms, or None
    n_segments: int
    n_moves: int  # G*K*K
    per_loan: dict = field(default_factory=dict)  # (N,) optional per-loan inputs by name (Kernel.per_loan)
    _cut: dict = field(default_factory=dict, repr=False)

    @property
    def n_totals(self) -> int:
        """Totals per unit: one set per strategy, or one for a run without."""
        return max(self.plan.n_strategies, 1)

    def chunk(self, i: int) -> dict:
        """The loans of chunk ``i`` padded to the plan's chunk length (padding: row group
        ``pad``, zeros elsewhere), as a dict of NumPy arrays; the last one is kept."""
        cached = self._cut.get(i)  # one lookup: executor threads may replace the entry
        if cached is not None:
            return cached
        sl = self.plan.chunks()[i]
        pad = self.plan.chunk - (sl.stop - sl.start)
        pad_group = self.cm.group_segment.shape[0] - 1

        def cut(a, fill=0):
            return np.concatenate([a[sl], np.full(pad, fill, a.dtype)])

        out = {"ids": np.arange(sl.start, sl.start + self.plan.chunk, dtype=np.uint64).astype(np.uint32),
               "group": cut(self.group, pad_group), "state0": cut(self.state0), "units": cut(self.units)}
        if self.money is not None:
            out.update({name: cut(a) for name, a in self.money._asdict().items()})
        out.update({name: cut(a) for name, a in self.per_loan.items()})
        self._cut = {i: out}  # a new dict (not cleared in place): safe under several threads
        return out


def draw_groups(seed: int, plan: RunPlan, seg: np.ndarray, cm: CompiledModel, types: TypeDraw,
                typed: bool) -> np.ndarray:
    """Each loan's row group: its segment's (numbered as the segment) without behaviour
    types, else drawn chunk by chunk (at the plan's padded length: one compiled shape)."""
    if not typed:
        return seg.astype(np.int32)
    g = cm.group_segment.shape[0] - 1
    out = np.empty(seg.shape, np.int32)
    with _rng.x64():
        key = jnp.asarray(_rng.seed_key(seed))
        types_dev = TypeDraw(*(jnp.asarray(a) for a in types))
        for sl in plan.chunks():
            pad = plan.chunk - (sl.stop - sl.start)
            ids = np.arange(sl.start, sl.start + plan.chunk, dtype=np.uint64).astype(np.uint32)
            cseg = np.concatenate([seg[sl], np.full(pad, cm.group_segment[g], np.int32)])
            out[sl] = np.asarray(agent.draw_groups(key, jnp.asarray(ids), jnp.asarray(cseg), types_dev))[
                : sl.stop - sl.start]
    return out


@dataclass
class DeviceInputs:
    """A job's arrays every unit shares, on one device."""

    cm: CompiledModel
    strat: StrategyArrays | None
    device: object = None
    _groups: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, job: Job, device=None) -> DeviceInputs:
        put = (lambda a: jax.device_put(a, device)) if device is not None else jnp.asarray
        with _rng.x64():
            cm = jax.tree.map(put, job.cm)
            strat = None if job.strat is None else jax.tree.map(put, job.strat)
        return cls(cm, strat, device)

    def put(self, a):
        return jax.device_put(a, self.device) if self.device is not None else jnp.asarray(a)

    def strategies(self, group: slice) -> StrategyArrays:
        """The strategies ``group`` of the stacked arrays (on this device, made once)."""
        key = (group.start, group.stop)
        if key not in self._groups:
            with _rng.x64():
                self._groups[key] = jax.tree.map(lambda a: a[group.start:group.stop], self.strat)
        return self._groups[key]


class Totals(dict):
    """Named integer totals of ``n`` scenarios (int64 arrays ``(n, ...)``), each made when
    the first part of it is added; ``kinds`` says how each is put together
    (``creditsim.engine.features.TOTAL_KINDS``), ``horizon`` the months of the run."""

    def __init__(self, n: int, kinds: dict, horizon: int):
        super().__init__()
        self.n, self.kinds, self.horizon = n, kinds, horizon

    def _array(self, name: str, shape: tuple) -> np.ndarray:
        if name not in self:
            self[name] = np.zeros(shape, np.int64)
        return self[name]

    def add_call(self, res: dict, t0: int, t1: int, dropped=None) -> None:
        """Add one kernel call's results (months t0+1..t1; ``(B, ...)`` arrays); ``dropped``:
        the ``(B, bins)`` occupancy of loans dropped before the call."""
        for name, a in res.items():
            kind = self.kinds[name]
            if kind in ("month", "occupancy"):
                out = self._array(name, (a.shape[0], self.horizon) + a.shape[2:])
                out[:, t0:t1] += a
                if kind == "occupancy" and dropped is not None:
                    out[:, t0:t1] += dropped[:, None, :]
            elif kind == "max":
                np.maximum(self._array(name, a.shape), a, out=self[name])
            elif kind == "sum" or t1 == self.horizon:  # "last": the last span's value
                self._array(name, a.shape)[...] += a

    def merge(self, part: dict, scenarios: slice) -> None:
        """Merge a work unit's totals ``part`` (its scenarios ``scenarios`` of these) in place."""
        for name, a in part.items():
            view = self._array(name, (self.n,) + a.shape[1:])[scenarios]
            a = a[: view.shape[0]]  # a padded last block's extra scenarios are left out
            if self.kinds[name] == "max":
                np.maximum(view, a, out=view)
            else:  # sums over loans: a month's, a run's, or the end's
                view += a


def zeros(job: Job, n_scenarios: int) -> list[Totals]:
    """Empty totals for ``n_scenarios`` scenarios (one per strategy)."""
    return [Totals(n_scenarios, job.totals, job.plan.horizon) for _ in range(job.n_totals)]


def merge(into: list[Totals], part: list[dict], scenarios: slice) -> None:
    """Merge a unit's totals ``part`` (one dict per strategy) into the run's ``into`` at
    ``scenarios`` (in place)."""
    for run, unit in zip(into, part, strict=True):
        run.merge(unit, scenarios)


def run_unit(job: Job, unit: WorkUnit, dev: DeviceInputs) -> list[dict]:
    """Simulate ``unit`` over the horizon on ``dev``'s device and return its totals (one
    dict per strategy, arrays ``(unit scenarios, ...)``).

    The horizon runs in the plan's month spans, the strategies in groups of the plan's
    ``strategy_groups`` (one kernel call per group and span, every group's kernel the same
    compiled one); after each span, if at most ``DROP_BELOW`` of the chunk's loans are
    still live in some scenario under some strategy, the others (finished everywhere, or
    padding) are dropped and the chunk is halved (as often as that holds, down to the
    plan's ``min_drop_size``).  A dropped loan is in an absorbing state with frozen flags,
    so its occupancy bin is the same in every later month and is added back without
    simulating it; a loan's draws depend only on (seed, scenario, loan, month), so results
    are identical to simulating every loan throughout (tested).
    """
    plan, sl = job.plan, unit.scenarios
    money = job.money is not None
    outs = zeros(job, unit.n_scenarios)
    loans = job.chunk(unit.chunk)
    pad_group = int(job.cm.group_segment.shape[0] - 1)
    groups = plan.strategy_groups() if job.strat is not None else [None]
    strats = [None if g is None else dev.strategies(g) for g in groups]
    with _rng.x64():
        dev_loans = {name: dev.put(a) for name, a in loans.items() if name != "state0"}
        start = dev.put(loans["state0"])
        carries = [start] * len(groups)
        z, keys = job.z[sl], dev.put(job.keys[sl])
        dropped = [None] * len(groups)  # occupancy bins (B, n_out), or (B, g, n_out), of dropped loans
        horizon = plan.horizon
        # a chunk of new loans starts at the even month before its first loan enters
        # (the kernel's random words come in month pairs): nothing happens to it before
        entry = loans.get("entry")
        real = loans["group"] != pad_group
        first_entry = int(entry[real].min()) if entry is not None and real.any() else 0
        for t0, t1 in plan.spans(2 * ((first_entry - 1) // 2) if first_entry > 1 else 0):
            money_dev = LoanMoney(*(dev_loans[name] for name in LoanMoney._fields)) if money else None
            z_span, hazard = dev.put(z[:, t0:t1]), dev.put(job.fraud_hazard[t0:t1])
            for gi, (g, strat) in enumerate(zip(groups, strats, strict=True)):
                res, carries[gi] = agent.chunk_kernel(
                    dev.cm, z_span, keys, dev_loans["ids"], dev_loans["group"], dev_loans["units"], hazard, money_dev,
                    carries[gi], jnp.int32(t0), strat, {name: dev_loans[name] for name in job.per_loan},
                    features=job.features, n_segments=job.n_segments,
                    keep=t1 < horizon, strategy_batch=1 if g is None else g.stop - g.start)
                res = {name: np.asarray(a) for name, a in res.items()}
                if g is None:
                    outs[0].add_call(res, t0, t1, dropped[0])
                    continue
                for i in range(g.stop - g.start):
                    outs[g.start + i].add_call({name: a[:, i] for name, a in res.items()}, t0, t1,
                                               None if dropped[gi] is None else dropped[gi][:, i])
            if t1 >= horizon:
                break
            live = None
            for carry, strat in zip(carries, strats, strict=True):
                here = compaction.live_anywhere(dev.cm, carry, dev_loans["group"], strat, features=job.features)
                live = here if live is None else live | here
            live = np.asarray(live)
            n_live, size = int(live.sum()), live.shape[0]
            # halve while at most DROP_BELOW of the new size would be live: the sizes are
            # the chunk's length over powers of two whatever the seed, and a seed's live
            # count only changes the span at which a size is reached
            new_size = size
            while new_size % 2 == 0 and new_size // 2 >= plan.min_drop_size and n_live <= DROP_BELOW * new_size:
                new_size //= 2
            if new_size == size:
                continue
            idx = np.zeros(new_size, np.int32)
            idx[:n_live] = np.flatnonzero(live)
            idx, valid, gone_mask = dev.put(idx), dev.put(np.arange(new_size) < n_live), dev.put(~live)
            for gi, carry in enumerate(carries):
                gone = np.asarray(compaction.frozen_bins(dev.cm, carry, dev_loans["group"], gone_mask,
                                                         n_out=job.n_out, features=job.features))
                dropped[gi] = gone if dropped[gi] is None else dropped[gi] + gone
            dev_loans, carries = compaction.compact(dev_loans, carries, idx, valid, pad_group=pad_group)
    return outs
