"""Built-in example model and book: five score bands of a Jiebei-like cash-loan book.

Every figure here is an assumption placed inside the ranges of the model's domain notes
(``docs/defaults.md`` lists each with its range and source); the economics issue replaces
the count-only chain with loan schedules and a calibrated preset.
"""

from __future__ import annotations

import numpy as np

from .book import LoanBook
from .model import CreditModel, MacroFactor, Segment
from .states import DEFAULT_STATES, StateSpace
from .terms import METHOD_NAMES as _METHOD_CODE
from .terms import LoanTerms

__all__ = ["BANDS", "band_matrix", "demo_model", "demo_book", "pd12", "DEMO_MIX", "DEMO_START",
           "jiebei_book", "JIEBEI_RATES", "JIEBEI_TERMS", "JIEBEI_METHODS"]

#: Per score band: monthly roll current -> 1-30 dpd, self-cure from 1-30, and the roll
#: rates 1-30 -> 31-60, 31-60 -> 61-90, 61-90 -> 91-180 (all assumptions inside the
#: documented ranges: 1%-4%, 40%-70%, 20%-35%, 45%-60%, 65%-80%).
BANDS: dict[str, dict[str, float]] = {
    "A": {"roll": 0.010, "cure": 0.70, "r1": 0.20, "r2": 0.45, "r3": 0.65},
    "B": {"roll": 0.015, "cure": 0.62, "r1": 0.24, "r2": 0.49, "r3": 0.69},
    "C": {"roll": 0.022, "cure": 0.55, "r1": 0.27, "r2": 0.52, "r3": 0.72},
    "D": {"roll": 0.030, "cure": 0.48, "r1": 0.31, "r2": 0.56, "r3": 0.76},
    "E": {"roll": 0.040, "cure": 0.40, "r1": 0.35, "r2": 0.60, "r3": 0.80},
}
#: Share of loans in each band of the demo book (assumption).
DEMO_MIX = {"A": 0.25, "B": 0.30, "C": 0.25, "D": 0.13, "E": 0.07}
#: Starting states of the demo book (assumption: a seasoned book with a little arrears).
DEMO_START = {"current": 0.968, "restructured": 0.004, "dpd_1_30": 0.012, "dpd_31_60": 0.005,
              "dpd_61_90": 0.004, "dpd_91_180": 0.007}
#: Monthly exit of a current loan to paid_off: maturity plus prepayment (assumption: loans
#: of 3 to 12 months, so about 1/12 a month; the economics issue replaces it with schedules).
PAYOFF = 0.08
#: Monthly hazard of a fraud claim on a current loan (assumption: 3 per 100,000).
FRAUD = 3e-5
#: Monthly AR(1) coefficient of the macro factor (assumption: half-life of about 6.6 months).
PHI = 0.9
#: Asset correlation of every band's monthly rows (assumption, calibrated: with PHI = 0.9 it
#: makes band C's 12-month 99% loss quantile about 4.3 times its expected loss, near the
#: 4.6 times of the one-year Vasicek distribution at band C's 12-month charge-off
#: probability and its Basel II "other retail" correlation; see docs/defaults.md).
RHO = 0.03


def band_matrix(roll: float, cure: float, r1: float, r2: float, r3: float) -> np.ndarray:
    """The 9x9 monthly matrix of a score band over ``DEFAULT_STATES``.

    Only the five band figures vary; the other entries are shared assumptions (see
    ``docs/defaults.md``).
    """
    s = {name: i for i, name in enumerate(DEFAULT_STATES)}
    m = np.zeros((9, 9))

    def row(frm, **to):
        i = s[frm]
        for k, v in to.items():
            m[i, s[k]] = v
        m[i, i] += 1.0 - sum(to.values()) if frm not in to else 0.0

    row("paid_off")
    row("charged_off")
    row("current", paid_off=PAYOFF, restructured=0.0005, dpd_1_30=roll, fraud_review=FRAUD)
    row("restructured", paid_off=0.04, current=0.05, dpd_1_30=0.06)
    # 1-30: cure, pay one instalment (stay), roll; a little restructuring and payoff
    row("dpd_1_30", current=cure, paid_off=0.02, restructured=0.01, dpd_31_60=r1)
    row("dpd_31_60", current=0.20, restructured=0.04, dpd_1_30=0.10, dpd_61_90=r2)
    row("dpd_61_90", current=0.08, restructured=0.04, dpd_31_60=0.03, dpd_91_180=r3)
    # 91-180 spans three months: about a third of the survivors reach 180 dpd each month
    row("dpd_91_180", current=0.04, restructured=0.03, dpd_61_90=0.03, charged_off=0.35)
    # a fraud review ends within a few months: confirmed (charged off) or rejected (owed)
    row("fraud_review", charged_off=0.30, dpd_1_30=0.15, current=0.05)
    return m


def pd12(matrix: np.ndarray) -> float:
    """12-month probability that a ``current`` loan is charged off (matrix power)."""
    s = {name: i for i, name in enumerate(DEFAULT_STATES)}
    return float(np.linalg.matrix_power(matrix, 12)[s["current"], s["charged_off"]])


def demo_model(phi: float = PHI, rho: float = RHO) -> CreditModel:
    """Five score bands A (best) to E, nine states, AR(1) macro factor with ``phi``, every
    band with asset correlation ``rho``."""
    segs = [Segment(name, band_matrix(**fig), rho=rho) for name, fig in BANDS.items()]
    # the band rows charge 91-180 dpd loans off at their own monthly rate (no 180-day rule)
    return CreditModel(states=StateSpace(DEFAULT_STATES), segments=segs, macro=MacroFactor(phi=phi),
                       charge_off_dpd=None)


def demo_book(n: int = 1_000_000, seed: int = 0) -> LoanBook:
    """A synthetic book of ``n`` loans over the five bands (``DEMO_MIX``, ``DEMO_START``)."""
    return LoanBook.synthetic(n, segments=DEMO_MIX, states=DEMO_START, seed=seed)


# ----------------------------------------------------------------- a Jiebei-like book
#: Annual contract rate by score band (assumption: risk-based pricing spread over the
#: 7%-18% range, i.e. daily rates of about 0.02%-0.05%).
JIEBEI_RATES = {"A": 0.072, "B": 0.0912, "C": 0.1095, "D": 0.146, "E": 0.18}
#: Share of loans by term in months (assumption).
JIEBEI_TERMS = {3: 0.20, 6: 0.30, 12: 0.50}
#: Share of loans by repayment method (assumption: equal instalments are the default).
JIEBEI_METHODS = {"equal_instalment": 0.70, "equal_principal": 0.20, "interest_first": 0.10}


def jiebei_book(n: int, *, seed: int = 0, bands: dict[str, float] | None = None,
                states: dict[str, float] | None = None, seasoned: bool = True) -> LoanBook:
    """A synthetic Jiebei-like book of ``n`` loans with their terms, reproducible from ``seed``.

    - score bands (the segments) drawn with shares ``bands`` (default ``DEMO_MIX``), each
      priced at its ``JIEBEI_RATES`` annual rate;
    - amounts lognormal with median 10,000 yuan, log-sd 1.0, clipped to 1,000-300,000 yuan
      and rounded to the fen (as :meth:`LoanBook.synthetic`);
    - terms 3, 6 and 12 months with shares ``JIEBEI_TERMS``; methods ``JIEBEI_METHODS``;
    - ``seasoned``: months on book uniform from 0 to term - 1 (a book at mixed ages);
      otherwise all new;
    - starting states with shares ``states`` (default all ``"current"``);
    - exposure: the scheduled principal outstanding.

    Every column is drawn in one vectorised pass (10,000,000 loans take a few seconds).
    """
    from .book import _count, _shares

    n = _count("n", n)
    band_n, band_w = _shares("bands", bands if bands is not None else DEMO_MIX)
    st_n, st_w = _shares("states", states if states is not None else {"current": 1.0})
    unknown = [b for b in band_n if b not in JIEBEI_RATES]
    if unknown:
        raise ValueError(f"presets.jiebei_book: bands {unknown!r} have no rate in JIEBEI_RATES")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"presets.jiebei_book: seed must be a whole number >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    band = rng.choice(len(band_n), size=n, p=band_w).astype(np.int32)
    state = rng.choice(len(st_n), size=n, p=st_w).astype(np.int32)
    amount = np.round(np.clip(np.exp(np.log(10_000.0) + rng.standard_normal(n)), 1_000.0, 300_000.0), 2)
    terms = np.array(list(JIEBEI_TERMS))[rng.choice(len(JIEBEI_TERMS), size=n, p=list(JIEBEI_TERMS.values()))]
    methods = rng.choice(len(JIEBEI_METHODS), size=n, p=list(JIEBEI_METHODS.values()))
    method_codes = np.array([int(_METHOD_CODE[m]) for m in JIEBEI_METHODS], dtype=np.int8)[methods]
    mob = np.floor(rng.random(n) * terms).astype(np.int32) if seasoned else np.zeros(n, np.int32)
    rates = np.array([JIEBEI_RATES[b] for b in band_n])[band]
    lt = LoanTerms(amount, rates, terms, method_codes, mob)
    return LoanBook(_codes=(band, band_n, state, st_n, lt.outstanding()), terms=lt)
