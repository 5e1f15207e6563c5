"""The model spec: segments with their monthly transition matrices, the macro factor, and
the whole credit model.  Plain frozen objects, validated once at construction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .states import StateSpace

__all__ = ["BehaviourType", "Segment", "MacroFactor", "IncomeShock", "FraudTransfer", "CreditModel",
           "ROW_SUM_TOLERANCE"]

#: How far a transition row's sum may be from 1 (absolute).
ROW_SUM_TOLERANCE = 1e-9


def _plain(v):
    """A NumPy scalar as the Python number it holds (so messages read ``0.9``, not
    ``np.float64(0.9)``); anything else unchanged."""
    return v.item() if isinstance(v, np.generic) else v


def _is_real(v) -> bool:
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, (bool, np.bool_))


def _real_array(owner: str, values) -> np.ndarray:
    """``values`` as a float64 array; a ValueError naming ``owner`` if they are not all
    numbers (strings, bools or None are not)."""
    try:
        raw = np.asarray(values, dtype=object) if isinstance(values, (list, tuple)) else np.asarray(values)
        ok = raw.dtype.kind in "iuf" or (raw.dtype.kind == "O" and all(_is_real(x) for x in raw.reshape(-1)))
        if ok:
            return raw.astype(np.float64)
    except (TypeError, ValueError):
        pass
    raise ValueError(f"{owner}: is not numeric: {values!r}")


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


def _square(owner: str, matrix) -> np.ndarray:
    try:
        m = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: matrix is not numeric: {matrix!r}") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{owner}: matrix must be square (K, K), got shape {m.shape}")
    return _readonly(m)


@dataclass(frozen=True, eq=False)
class BehaviourType:
    """A latent kind of borrower within a segment, with its own monthly transition matrix.

    Parameters
    ----------
    name
        e.g. ``"forgetful"`` (able and willing), ``"constrained"`` (willing, unable after
        an income shock), ``"strategic"`` (able, unwilling).
    share
        Share of the segment's loans of this type, in [0, 1]; a segment's shares sum to 1.
    matrix
        Monthly transition matrix ``(K, K)`` of loans of this type (as ``Segment.matrix``).
    """

    name: str
    share: float
    matrix: np.ndarray

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"BehaviourType.name: must be a non-empty string, got {self.name!r}")
        if not _is_real(self.share) or not (0.0 <= self.share <= 1.0):
            raise ValueError(f"BehaviourType {self.name!r}: share must be in [0, 1], got {_plain(self.share)!r}")
        object.__setattr__(self, "share", float(self.share))
        object.__setattr__(self, "matrix", _square(f"BehaviourType {self.name!r}", self.matrix))

    def to_dict(self) -> dict:
        return {"name": self.name, "share": self.share, "matrix": self.matrix.tolist()}


@dataclass(frozen=True, eq=False)
class Segment:
    """A group of loans that share one monthly transition matrix.

    Parameters
    ----------
    name
        Segment label (score band, product, age band...).
    matrix
        Monthly transition probabilities, shape ``(K, K)`` over the model's states in the
        state space's order: ``matrix[i, j]`` is the probability that a loan in state ``i``
        this month is in state ``j`` next month.  Rows are checked against the state space
        when the segment joins a ``CreditModel``.
    rho
        Asset correlation of the one-factor model, in [0, 1).  The factor loading of each
        borrower's latent credit quality on the macro factor Z is √rho, the idiosyncratic
        loading √(1−rho).  ``rho = 0`` (default) makes the segment insensitive to Z.
    types
        Optional ``BehaviourType`` s with shares summing to 1.  Each loan's type is
        drawn once from the run's seed and its index (the same in every scenario; the
        lender never sees it) and the loan moves by its type's matrix.  Give ``matrix`` or
        ``types``, not both; with types, ``matrix`` is their share-weighted average (the
        segment's one-month matrix).
    distressed
        Optional monthly matrix ``(K, K)`` used, for every type of the segment, while a
        borrower suffers an income shock (see ``IncomeShock``); typically much higher
        roll rates.  Default: shocks do not change the segment's rows.
    """

    name: str
    matrix: np.ndarray | None = None
    rho: float = 0.0
    types: tuple[BehaviourType, ...] = ()
    distressed: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Segment.name: must be a non-empty string, got {self.name!r}")
        types = (self.types,) if isinstance(self.types, BehaviourType) else tuple(self.types or ())
        if types and self.matrix is not None:
            raise ValueError(f"Segment {self.name!r}: give a matrix or behaviour types, not both")
        if not types and self.matrix is None:
            raise ValueError(f"Segment {self.name!r}: needs a matrix or behaviour types")
        if types:
            names = set()
            for t in types:
                if not isinstance(t, BehaviourType):
                    raise ValueError(f"Segment {self.name!r}: types must be BehaviourType objects, got {t!r}")
                if t.name in names:
                    raise ValueError(f"Segment {self.name!r}: behaviour type {t.name!r} is listed twice")
                names.add(t.name)
                if t.matrix.shape != types[0].matrix.shape:
                    raise ValueError(
                        f"Segment {self.name!r}, type {t.name!r}: matrix has shape {t.matrix.shape}, "
                        f"type {types[0].name!r} has {types[0].matrix.shape}"
                    )
            total = sum(t.share for t in types)
            if abs(total - 1.0) > ROW_SUM_TOLERANCE:
                raise ValueError(
                    f"Segment {self.name!r}: behaviour type shares sum to {total!r}, not 1 "
                    f"({ {t.name: t.share for t in types}!r})"
                )
            matrix = sum(t.share * t.matrix for t in types)
        else:
            matrix = _square(f"Segment {self.name!r}", self.matrix)
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "matrix", _readonly(matrix))
        if self.distressed is not None:
            object.__setattr__(self, "distressed",
                               _square(f"Segment {self.name!r}, distressed", self.distressed))
        rho = self.rho
        if not _is_real(rho) or not (0.0 <= rho < 1.0):
            raise ValueError(f"Segment {self.name!r}: rho must be in [0, 1), got {_plain(rho)!r}")
        object.__setattr__(self, "rho", float(rho))

    @property
    def groups(self) -> tuple[tuple[str, float, np.ndarray], ...]:
        """(type name, share, matrix) of each behaviour type; one ``("all", 1, matrix)``
        for a segment without types."""
        if not self.types:
            return (("all", 1.0, self.matrix),)
        return tuple((t.name, t.share, t.matrix) for t in self.types)

    def to_dict(self) -> dict:
        d = {"name": self.name, "rho": self.rho}
        if self.types:
            d["types"] = [t.to_dict() for t in self.types]
        else:
            d["matrix"] = self.matrix.tolist()
        if self.distressed is not None:
            d["distressed"] = self.distressed.tolist()
        return d


@dataclass(frozen=True, eq=False)
class MacroFactor:
    """The systematic factor Z: one standard-normal value per scenario and month.

    Parameters
    ----------
    phi
        Month-to-month AR(1) coefficient, |phi| < 1.  Z_1 ~ N(0, 1) and
        Z_t = phi·Z_{t−1} + √(1−phi²)·ε_t, so every Z_t is N(0, 1).  Default 0 (independent
        months).
    path
        Optional fixed path of Z values for the first months (a stress path): every
        scenario takes these values, and after the path's last month Z goes on as the
        AR(1) from its last value, differently in each scenario.  A path as long as the
        horizon fixes Z entirely; a run shorter than the path uses its first months (so a
        year-long stress scenario also runs over 6 months).  Negative values are bad months.
    """

    phi: float = 0.0
    path: np.ndarray | None = None

    def __post_init__(self):
        phi = self.phi
        if not _is_real(phi) or not (abs(phi) < 1.0):
            raise ValueError(f"MacroFactor.phi: need |phi| < 1, got {_plain(phi)!r}")
        object.__setattr__(self, "phi", float(phi))
        if self.path is not None:
            p = _real_array("MacroFactor.path", self.path)
            if p.ndim != 1 or p.size < 1:
                raise ValueError(
                    f"MacroFactor.path: must be a 1-D array of Z values per month, got shape {p.shape} "
                    f"({self.path!r})"
                )
            bad = np.flatnonzero(~np.isfinite(p))
            if bad.size:
                raise ValueError(
                    f"MacroFactor.path: month {bad[0] + 1} has non-finite value {float(p[bad[0]])!r}"
                )
            object.__setattr__(self, "path", _readonly(p))

    def to_dict(self) -> dict:
        return {"phi": self.phi, "path": None if self.path is None else self.path.tolist()}


@dataclass(frozen=True, eq=False)
class IncomeShock:
    """Idiosyncratic income loss: a borrower who is paying as agreed loses income for a while.

    Parameters
    ----------
    hazard
        Monthly probability that a performing borrower (``StateSpace.performing``) without
        a shock starts one, at the average macro factor; in [0, 1].  Default 0.
    mean_months
        Mean duration in months, >= 1; durations are geometric (memoryless) on 1, 2, ...
        Default 6.
    rho
        Sensitivity of the hazard to the macro factor, in [0, 1): conditional on Z the
        hazard is Φ((Φ⁻¹(hazard) − √rho·Z)/√(1−rho)), higher in bad months, and ``hazard``
        on average.  Default 0.
    report_probability
        Monthly probability that a borrower under a shock reports hardship to the lender
        (the lender's only sight of the shock); the flag stays set.  In [0, 1], default 0.

    Notes
    -----
    While the shock lasts the loan moves by its segment's ``distressed`` rows.
    """

    hazard: float = 0.0
    mean_months: float = 6.0
    rho: float = 0.0
    report_probability: float = 0.0

    def __post_init__(self):
        for name, closed in (("hazard", True), ("rho", False), ("report_probability", True)):
            v = getattr(self, name)
            if not (_is_real(v) and 0.0 <= v and (v <= 1.0 if closed else v < 1.0)):
                span = "[0, 1]" if closed else "[0, 1)"
                raise ValueError(f"IncomeShock.{name}: must be in {span}, got {_plain(v)!r}")
            object.__setattr__(self, name, float(v))
        m = self.mean_months
        if not _is_real(m) or not (1.0 <= m < math.inf):
            raise ValueError(f"IncomeShock.mean_months: must be a finite number >= 1, got {_plain(m)!r}")
        object.__setattr__(self, "mean_months", float(m))

    def to_dict(self) -> dict:
        return {"hazard": self.hazard, "mean_months": self.mean_months, "rho": self.rho,
                "report_probability": self.report_probability}


@dataclass(frozen=True, eq=False)
class FraudTransfer:
    """Fraudulent transfer of the borrowed funds (借呗被他人转走): a claim, a review, an outcome.

    Parameters
    ----------
    hazard
        Monthly probability that a loan not in an absorbing state and not under review
        files a fraud claim, in [0, 1].  Default 3e-5 (3 per 100,000; the domain's range is
        1 to 10 per 100,000).
    review_months
        Months a claim is under review (the loan sits in ``review_state``, pays nothing and
        does not move), 1 to 3, so that a confirmed claim is charged off within 90 days of
        discovery (US FFIEC policy).  Default 2.
    confirm_probability
        Probability that the review confirms the fraud: the loan is charged off as fraud
        and the platform bears its exposure less ``police_recovery``.  Otherwise the claim
        is rejected and the borrower, liable, re-enters delinquency in ``rejected_state``.
        Default 0.7 (assumption).
    police_recovery
        Share of a confirmed fraud's exposure recovered by the police, in [0, 1].  Default
        0.1 (assumption).
    review_state, rejected_state
        State names; default ``"fraud_review"`` and ``"dpd_1_30"``.
    wave
        Optional multipliers of the hazard by month (month 1 first; months past the list
        use 1): a fraud wave in a stress scenario.  Each >= 0.
    """

    hazard: float = 3e-5
    review_months: int = 2
    confirm_probability: float = 0.7
    police_recovery: float = 0.1
    review_state: str = "fraud_review"
    rejected_state: str = "dpd_1_30"
    wave: np.ndarray | None = None

    def __post_init__(self):
        for name in ("hazard", "confirm_probability", "police_recovery"):
            v = getattr(self, name)
            if not (_is_real(v) and 0.0 <= v <= 1.0):
                raise ValueError(f"FraudTransfer.{name}: must be in [0, 1], got {_plain(v)!r}")
            object.__setattr__(self, name, float(v))
        m = self.review_months
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= 3:
            raise ValueError(f"FraudTransfer.review_months: must be 1, 2 or 3 (at most 90 days), got {m!r}")
        object.__setattr__(self, "review_months", int(m))
        for name in ("review_state", "rejected_state"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v:
                raise ValueError(f"FraudTransfer.{name}: must be a state name (a non-empty string), got {v!r}")
        if self.wave is not None:
            w = _real_array("FraudTransfer.wave", self.wave)
            if w.ndim != 1 or w.size < 1:
                raise ValueError(f"FraudTransfer.wave: must be 1-D (one multiplier a month, at least one), got "
                                 f"shape {w.shape} ({self.wave!r})")
            bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
            if bad.size:
                raise ValueError(f"FraudTransfer.wave: month {bad[0] + 1} has multiplier {float(w[bad[0]])!r}; "
                                 f"multipliers are >= 0")
            if w.size and self.hazard * w.max() > 1:
                i = int(np.argmax(w))
                raise ValueError(f"FraudTransfer.wave: month {i + 1} makes the hazard "
                                 f"{self.hazard * w[i]!r} > 1")
            object.__setattr__(self, "wave", _readonly(w))

    def hazards(self, horizon: int) -> np.ndarray:
        """The monthly hazard for months 1..horizon, wave included."""
        h = np.full(horizon, self.hazard)
        if self.wave is not None:
            m = min(horizon, self.wave.size)
            h[:m] *= self.wave[:m]
        return h

    def to_dict(self) -> dict:
        return {"hazard": self.hazard, "review_months": self.review_months,
                "confirm_probability": self.confirm_probability, "police_recovery": self.police_recovery,
                "review_state": self.review_state, "rejected_state": self.rejected_state,
                "wave": None if self.wave is None else self.wave.tolist()}


def _check_fraud(fraud: FraudTransfer, model) -> None:
    states = model.states
    if states.charge_off is None:
        raise ValueError("FraudTransfer: the state space has no charge-off state to send confirmed frauds to")
    for attr in ("review_state", "rejected_state"):
        name = getattr(fraud, attr)
        states.index(name, field=f"FraudTransfer.{attr}")
        if name in states.absorbing:
            raise ValueError(f"FraudTransfer.{attr}: state {name!r} is absorbing")
    r = states.index(fraud.review_state)
    for seg in model.segments:
        mats = [(t, m) for t, _, m in seg.groups] + ([("distressed", seg.distressed)] if seg.distressed is not None else [])
        for t, m in mats:
            into = m[:, r].copy()
            into[r] = 0.0
            if into.any():
                i = int(np.flatnonzero(into)[0])
                where = f"Segment {seg.name!r}" + (f", {t}" if t == "distressed" else f", type {t!r}" if seg.types else "")
                raise ValueError(
                    f"{where}, state {states.names[i]!r}: moves loans into {fraud.review_state!r} "
                    f"(probability {float(into[i])!r}) while FraudTransfer is set; with FraudTransfer "
                    f"claims come from its hazard alone, so the matrices must not enter the review state"
                )


def _check_matrix(seg: Segment, states: StateSpace) -> None:
    for type_name, _, m in seg.groups:
        where = f"Segment {seg.name!r}" + (f", type {type_name!r}" if seg.types else "")
        _check_rows(where, m, states)
    if seg.distressed is not None:
        _check_rows(f"Segment {seg.name!r}, distressed", seg.distressed, states)


def _check_rows(where: str, m: np.ndarray, states: StateSpace) -> None:
    k = len(states)
    if m.shape != (k, k):
        raise ValueError(
            f"{where}: matrix has shape {m.shape}, the state space has {k} states "
            f"{list(states.names)!r}"
        )
    for i, name in enumerate(states.names):
        row = m[i]
        for j in range(k):
            v = float(row[j])
            if not math.isfinite(v):
                raise ValueError(
                    f"{where}, state {name!r}: probability to {states.names[j]!r} "
                    f"is {v!r} (not a finite number)"
                )
            if v < 0:
                raise ValueError(
                    f"{where}, state {name!r}: probability to {states.names[j]!r} "
                    f"is negative ({v!r})"
                )
        s = float(row.sum())
        if abs(s - 1.0) > ROW_SUM_TOLERANCE:
            raise ValueError(
                f"{where}, state {name!r}: row sums to {s!r}, not 1 "
                f"(tolerance {ROW_SUM_TOLERANCE:g})"
            )
        if name in states.absorbing and row[i] != 1.0:
            leaks = {states.names[j]: float(row[j]) for j in range(k) if j != i and row[j] > 0}
            raise ValueError(
                f"{where}, state {name!r}: absorbing state's row leaves it "
                f"(to {leaks!r}); its row must be 1 on itself"
            )


@dataclass(frozen=True, eq=False)
class CreditModel:
    """A complete credit model: states, segments and the macro factor.

    Parameters
    ----------
    states
        The ``StateSpace``; default the nine states of the model.
    segments
        One or more ``Segment``, names unique, each matrix ``(K, K)`` over ``states``
        with rows that are probability distributions (non-negative, summing to 1 within
        ``ROW_SUM_TOLERANCE``) and absorbing states that keep all their mass.
    macro
        The ``MacroFactor``; default independent N(0, 1) months (phi = 0).
    income_shock
        Optional ``IncomeShock``; default none.
    fraud
        Optional ``FraudTransfer``; default none (any fraud is then only what the
        matrices say).
    charge_off_dpd
        Days past due at which a loan is charged off, whatever its row says: a loan whose
        months past due (``StateSpace.past_due``, a month being 30 days) would pass
        ``charge_off_dpd / 30`` goes to the charge-off state instead.  Default 180 (the
        usual rule for unsecured consumer credit; the US FFIEC policy for open-end credit).
        ``None``: charge-off only as the rows say.  It acts only where a loan can get that
        far past due, e.g. by staying in a state that spans several months (``dpd_91_180``),
        and where the state space has a charge-off state.
    penalty_multiple
        Penalty interest on overdue amounts, as a multiple of the loan's contract rate;
        default 1.5 (the common contract term in Chinese consumer credit, DOMAIN default).
    cost_of_funds
        Annual rate at which the book's cash flows are discounted (the lender's funding
        cost), a fraction; default 0.03 (assumption: near China's one-year loan prime rate
        of the 2020s).
    """

    states: StateSpace = field(default_factory=StateSpace)
    segments: tuple[Segment, ...] = ()
    macro: MacroFactor = field(default_factory=MacroFactor)
    income_shock: IncomeShock | None = None
    fraud: FraudTransfer | None = None
    charge_off_dpd: int | None = 180
    penalty_multiple: float = 1.5
    cost_of_funds: float = 0.03

    def __post_init__(self):
        if not isinstance(self.states, StateSpace):
            raise ValueError(f"CreditModel.states: need a StateSpace, got {type(self.states).__name__}")
        if not isinstance(self.macro, MacroFactor):
            raise ValueError(f"CreditModel.macro: need a MacroFactor, got {type(self.macro).__name__}")
        if self.income_shock is not None and not isinstance(self.income_shock, IncomeShock):
            raise ValueError(
                f"CreditModel.income_shock: need an IncomeShock, got {type(self.income_shock).__name__}"
            )
        segs = self.segments
        if isinstance(segs, Segment):
            segs = (segs,)
        segs = tuple(segs)
        if not segs:
            raise ValueError("CreditModel.segments: need at least one Segment")
        names = set()
        for s in segs:
            if not isinstance(s, Segment):
                raise ValueError(f"CreditModel.segments: need Segment objects, got {s!r}")
            if s.name in names:
                raise ValueError(f"CreditModel.segments: segment name {s.name!r} is used twice")
            names.add(s.name)
            _check_matrix(s, self.states)
        object.__setattr__(self, "segments", segs)
        if self.fraud is not None:
            if not isinstance(self.fraud, FraudTransfer):
                raise ValueError(f"CreditModel.fraud: need a FraudTransfer, got {type(self.fraud).__name__}")
            _check_fraud(self.fraud, self)
        dpd = self.charge_off_dpd
        if dpd is not None:
            if isinstance(dpd, bool) or not isinstance(dpd, (int, np.integer)) or dpd < 1:
                raise ValueError(f"CreditModel.charge_off_dpd: need a whole number of days >= 1 or None, got "
                                 f"{_plain(dpd)!r}")
            object.__setattr__(self, "charge_off_dpd", int(dpd))
        for name, lo, hi in (("penalty_multiple", 0.0, 10.0), ("cost_of_funds", -0.5, 1.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or \
                    not math.isfinite(v) or not lo <= v <= hi:
                raise ValueError(f"CreditModel.{name}: need a number in [{lo:g}, {hi:g}], got {_plain(v)!r}")
            object.__setattr__(self, name, float(v))

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)

    def segment_index(self, name: str, *, field: str = "segment") -> int:
        """Position of segment ``name``; ``ValueError`` naming ``field`` if unknown."""
        for i, s in enumerate(self.segments):
            if s.name == name:
                return i
        raise ValueError(f"{field}: unknown segment {name!r}; segments are {list(self.segment_names)!r}")

    def segment(self, name: str) -> Segment:
        return self.segments[self.segment_index(name)]

    def with_macro(self, macro: MacroFactor) -> CreditModel:
        """The same model with another macro factor (for stress runs)."""
        return self.replace(macro=macro)

    def with_income_shock(self, shock: IncomeShock | None) -> CreditModel:
        """The same model with another income shock (or none)."""
        return self.replace(income_shock=shock)

    def replace(self, **changes) -> CreditModel:
        """A copy with some fields changed (validated again)."""
        fields = {"states": self.states, "segments": self.segments, "macro": self.macro,
                  "income_shock": self.income_shock, "fraud": self.fraud,
                  "charge_off_dpd": self.charge_off_dpd, "penalty_multiple": self.penalty_multiple,
                  "cost_of_funds": self.cost_of_funds}
        unknown = set(changes) - set(fields)
        if unknown:
            raise ValueError(f"CreditModel.replace: unknown fields {sorted(unknown)!r}")
        return CreditModel(**{**fields, **changes})

    def to_dict(self) -> dict:
        """Plain-data form (lists, floats, strings): JSON and TOML ready."""
        return {
            "states": self.states.to_dict(),
            "segments": [s.to_dict() for s in self.segments],
            "macro": self.macro.to_dict(),
            "income_shock": None if self.income_shock is None else self.income_shock.to_dict(),
            "fraud": None if self.fraud is None else self.fraud.to_dict(),
            "charge_off_dpd": self.charge_off_dpd,
            "penalty_multiple": self.penalty_multiple,
            "cost_of_funds": self.cost_of_funds,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> CreditModel:
        """Inverse of ``to_dict``; validates like the constructor."""
        macro = d.get("macro") or {}
        return cls(
            states=StateSpace.from_dict(d["states"]),
            segments=tuple(
                Segment(s["name"], s.get("matrix"), s.get("rho", 0.0),
                        tuple(BehaviourType(t["name"], t["share"], t["matrix"]) for t in s.get("types", ())),
                        s.get("distressed"))
                for s in d["segments"]
            ),
            income_shock=IncomeShock(**d["income_shock"]) if d.get("income_shock") else None,
            fraud=FraudTransfer(**d["fraud"]) if d.get("fraud") else None,
            macro=MacroFactor(macro.get("phi", 0.0), macro.get("path")),
            charge_off_dpd=d.get("charge_off_dpd", 180),
            penalty_multiple=d.get("penalty_multiple", 1.5),
            cost_of_funds=d.get("cost_of_funds", 0.03),
        )

