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
from .plan import DROP_BELOW, RunPlan, WorkUnit

__all__ = ["Job", "DeviceInputs", "run_unit", "zeros", "merge", "REDUCTIONS"]

#: How a total is merged across work units (chunks of loans): every total is added except
#: these.
REDUCTIONS = {"max_contacts": np.maximum}


@dataclass
class Job:
    """A run compiled for its work units (NumPy arrays; the loans' arrays over the whole
    book, cut chunk by chunk)."""

    plan: RunPlan
    cm: CompiledModel
    strat: StrategyArrays | None  # the strategies stacked, or None
    flags: dict  # the kernel's static flags
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
    _cut: dict = field(default_factory=dict, repr=False)

    @property
    def n_totals(self) -> int:
        """Totals per unit: one set per strategy, or one for a run without."""
        return max(self.plan.n_strategies, 1)

    def chunk(self, i: int) -> dict:
        """The loans of chunk ``i`` padded to the plan's chunk length (padding: row group
        ``pad``, zeros elsewhere), as a dict of NumPy arrays; the last one is kept."""
        if i in self._cut:
            return self._cut[i]
        sl = self.plan.chunks()[i]
        pad = self.plan.chunk - (sl.stop - sl.start)
        pad_group = self.cm.group_segment.shape[0] - 1

        def cut(a, fill=0):
            return np.concatenate([a[sl], np.full(pad, fill, a.dtype)])

        out = {"ids": np.arange(sl.start, sl.start + self.plan.chunk, dtype=np.uint64).astype(np.uint32),
               "group": cut(self.group, pad_group), "state0": cut(self.state0), "units": cut(self.units)}
        if self.money is not None:
            out.update({name: cut(a) for name, a in self.money._asdict().items()})
        self._cut.clear()
        self._cut[i] = out
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

    @classmethod
    def of(cls, job: Job, device=None) -> DeviceInputs:
        put = (lambda a: jax.device_put(a, device)) if device is not None else jnp.asarray
        with _rng.x64():
            cm = jax.tree.map(put, job.cm)
            strat = None if job.strat is None else jax.tree.map(put, job.strat)
        return cls(cm, strat, device)

    def put(self, a):
        return jax.device_put(a, self.device) if self.device is not None else jnp.asarray(a)


def zeros(job: Job, n_scenarios: int) -> list[dict]:
    """Empty totals for ``n_scenarios`` scenarios (one dict per strategy): integer arrays
    ``(scenarios, ...)``."""
    p, s = job.plan, n_scenarios
    t = {"counts": np.zeros((s, p.horizon, job.n_out), np.int64),
         "loss": np.zeros((s, 2, job.n_segments), np.int64), "charged": np.zeros((s, 2, job.n_segments), np.int64),
         "moves": np.zeros((s, job.n_moves), np.int64)}
    if job.flags["money"]:
        n_flows = 4 + (len(agent.STRATEGY_FLOWS) if job.strat is not None else 0)
        t.update(balance=np.zeros((s, p.horizon, job.n_out), np.int64),
                 flows=np.zeros((s, p.horizon, n_flows), np.int64),
                 written=np.zeros((s, 2, 2), np.int64), end=np.zeros((s, 2), np.int64))
    if job.strat is not None:
        t.update(recovered_by_age=np.zeros((s, len(agent.CURVES), p.horizon), np.int64),
                 max_contacts=np.zeros(s, np.int64), contacts_barred=np.zeros(s, np.int64))
    return [{name: a.copy() for name, a in t.items()} for _ in range(job.n_totals)]


def merge(into: list[dict], part: list[dict], scenarios: slice) -> None:
    """Merge a unit's totals ``part`` into the run's ``into`` at ``scenarios`` (in place)."""
    for run, unit in zip(into, part, strict=True):
        for name, a in unit.items():
            view = run[name][scenarios]
            op = REDUCTIONS.get(name)
            if op is None:
                view += a
            else:
                op(view, a, out=view)


def run_unit(job: Job, unit: WorkUnit, dev: DeviceInputs) -> list[dict]:
    """Simulate ``unit`` over the horizon on ``dev``'s device and return its totals (one
    dict per strategy, arrays ``(unit scenarios, ...)``).

    The horizon runs in the plan's month spans, every strategy in the same kernel call;
    after each, if at most ``DROP_BELOW`` of the chunk's loans are still live in some
    scenario under some strategy, the others (finished everywhere, or padding) are dropped
    and the chunk is halved (as often as that holds, down to the plan's ``min_drop_size``).
    A dropped loan is in an absorbing state with frozen flags, so its occupancy bin is the
    same in every later month and is added back without simulating it; a loan's draws
    depend only on (seed, scenario, loan, month), so results are identical to simulating
    every loan throughout (tested).
    """
    plan, flags, sl = job.plan, job.flags, unit.scenarios
    money = flags["money"]
    outs = zeros(job, unit.n_scenarios)
    loans = job.chunk(unit.chunk)
    pad_group = int(job.cm.group_segment.shape[0] - 1)
    with _rng.x64():
        dev_loans = {name: dev.put(a) for name, a in loans.items() if name != "state0"}
        carry = dev.put(loans["state0"])
        z, keys = job.z[sl], dev.put(job.keys[sl])
        dropped = None  # occupancy bins (B, n_out), or (B, S, n_out), of dropped loans
        horizon = plan.horizon
        for t0, t1 in plan.spans():
            money_dev = LoanMoney(*(dev_loans[name] for name in LoanMoney._fields)) if money else None
            res, carry = agent.chunk_kernel(dev.cm, dev.put(z[:, t0:t1]), keys, dev_loans["ids"], dev_loans["group"],
                                            dev_loans["units"], dev.put(job.fraud_hazard[t0:t1]), money_dev, carry,
                                            jnp.int32(t0), dev.strat, keep=t1 < horizon, **flags)
            res = {name: np.asarray(a) for name, a in res.items()}
            for i, out in enumerate(outs):
                pick = (lambda a: a) if dev.strat is None else (lambda a, i=i: a[:, i])
                _add(out, {name: pick(a) for name, a in res.items()}, None if dropped is None else pick(dropped),
                     t0, t1, horizon)
            if t1 >= horizon:
                break
            live = np.asarray(compaction.live_anywhere(dev.cm, carry, dev_loans["group"],
                                                       None if dev.strat is None else dev.strat.after_charge_off))
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
            idx, valid = dev.put(idx), dev.put(np.arange(new_size) < n_live)
            gone = np.asarray(compaction.frozen_bins(dev.cm, carry, dev_loans["group"], dev.put(~live),
                                                     n_out=job.n_out, shocks=flags["shocks"]))
            dropped = gone if dropped is None else dropped + gone
            dev_loans, carry = compaction.compact(dev_loans, carry, idx, valid, pad_group=pad_group)
    return outs


def _add(out, res, dropped, t0, t1, horizon) -> None:
    """Add one kernel call's results (months t0+1..t1) into a unit's totals ``out``."""
    out["counts"][:, t0:t1] += res["counts"] + (0 if dropped is None else dropped[:, None, :])
    out["loss"] += res["loss"]
    out["charged"] += res["charged"]
    out["moves"] += res["moves"]
    if "balance" in res:
        out["balance"][:, t0:t1] += res["balance"]
        out["flows"][:, t0:t1] += res["flows"]
        out["written"] += res["written"]
        out["end"][:, 0] += res["end"][:, 0]
        if t1 == horizon:
            out["end"][:, 1] += res["end"][:, 1]
    if "recovered_by_age" in res:
        out["recovered_by_age"] += res["recovered_by_age"]
        np.maximum(out["max_contacts"], res["max_contacts"], out=out["max_contacts"])
        out["contacts_barred"] += res["contacts_barred"]
