"""Built-in models and books: five score bands of a Jiebei-like cash-loan book.

- ``demo_model`` / ``demo_book``: the illustrative count-only chain (exposures fixed, its
  rows charge 91-180 dpd loans off at their own rate);
- ``jiebei_model`` / ``jiebei_book``: the calibrated preset with behaviour types, income
  shocks, fraud claims, the 180-day rule and loan terms (money simulated loan by loan).

``docs/defaults.md`` lists every figure with its range and source, or marks it as an
assumption, and states how close the calibrated preset gets to its targets.
"""

from __future__ import annotations

import numpy as np

from .book import LoanBook
from .model import CreditModel, MacroFactor, Segment
from .states import DEFAULT_STATES, StateSpace
from .terms import METHOD_NAMES as _METHOD_CODE
from .terms import LoanTerms

__all__ = ["BANDS", "band_matrix", "demo_model", "demo_book", "pd12", "DEMO_MIX", "DEMO_START", "draw_contracts",
           "jiebei_book", "JIEBEI_RATES", "JIEBEI_TERMS", "JIEBEI_METHODS", "jiebei_model", "jiebei_matrix",
           "JIEBEI_TYPES", "JIEBEI_BANDS", "JIEBEI_PREPAY", "JIEBEI_SHOCK", "JIEBEI_FRAUD", "JIEBEI_START",
           "JIEBEI_DISTRESSED", "JIEBEI_LATE_CURE", "jiebei_living_book", "steady_volume"]

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
#: of 3 to 12 months, so about 1/12 a month; ``jiebei_model`` has schedules instead).
PAYOFF = 0.08
#: Monthly hazard of a fraud claim on a current loan (assumption: 3 per 100,000).
FRAUD = 3e-5
#: Monthly AR(1) coefficient of the macro factor (assumption: half-life of about 6.6 months).
PHI = 0.9
#: Asset correlation of every band's monthly rows (assumption, calibrated: with PHI = 0.9 it
#: makes band C's 12-month 99% loss quantile about 3.9 times its expected loss, near the
#: 4.6 times of the one-year Vasicek distribution at band C's 12-month charge-off
#: probability and its Basel II "other retail" correlation; see docs/defaults.md).
RHO = 0.03


def _matrix_builder():
    """A zero 9x9 matrix over ``DEFAULT_STATES`` and ``row(frm, **to)``, which sets a row's
    moves and gives the rest of its mass to staying put."""
    s = {name: i for i, name in enumerate(DEFAULT_STATES)}
    m = np.zeros((9, 9))

    def row(frm, **to):
        i = s[frm]
        for k, v in to.items():
            m[i, s[k]] = v
        m[i, i] += 1.0 - sum(to.values()) if frm not in to else 0.0

    return m, row


def band_matrix(roll: float, cure: float, r1: float, r2: float, r3: float) -> np.ndarray:
    """The 9x9 monthly matrix of a score band over ``DEFAULT_STATES``.

    Only the five band figures vary; the other entries are shared assumptions (see
    ``docs/defaults.md``).
    """
    m, row = _matrix_builder()

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


def demo_book(n: int = 1_000_000, seed: int = 0, spread_days: bool = True) -> LoanBook:
    """A synthetic book of ``n`` loans over the five bands (``DEMO_MIX``, ``DEMO_START``),
    past-due loans spread over their bucket's days (``spread_days``, as
    ``LoanBook.synthetic``)."""
    return LoanBook.synthetic(n, segments=DEMO_MIX, states=DEMO_START, seed=seed, spread_days=spread_days)


# ----------------------------------------------------------------- a Jiebei-like book
#: Annual contract rate by score band (assumption: risk-based pricing spread over the
#: 7%-18% range, i.e. daily rates of about 0.02%-0.05%).
JIEBEI_RATES = {"A": 0.072, "B": 0.0912, "C": 0.1095, "D": 0.146, "E": 0.18}
#: Share of loans by term in months (assumption).
JIEBEI_TERMS = {3: 0.20, 6: 0.30, 12: 0.50}
#: Share of loans by repayment method (assumption: equal instalments are the default).
JIEBEI_METHODS = {"equal_instalment": 0.70, "equal_principal": 0.20, "interest_first": 0.10}


def draw_contracts(rng: np.random.Generator, n: int, *, median: float = 10_000.0, sigma: float = 1.0,
                   bounds: tuple[float, float] = (1_000.0, 300_000.0), terms: dict[int, float] | None = None,
                   methods: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` loans' amounts (lognormal with ``median`` yuan and log-sd ``sigma``, clipped to
    ``bounds``, rounded to the fen), terms (months, shares ``terms``, default
    ``JIEBEI_TERMS``) and repayment method codes (shares ``methods``, default
    ``JIEBEI_METHODS``), drawn from ``rng`` in that order."""
    terms = JIEBEI_TERMS if terms is None else terms
    methods = JIEBEI_METHODS if methods is None else methods
    amount = np.round(np.clip(np.exp(np.log(median) + sigma * rng.standard_normal(n)), *bounds), 2)
    t = np.array(list(terms))[rng.choice(len(terms), size=n, p=list(terms.values()))]
    m = rng.choice(len(methods), size=n, p=list(methods.values()))
    codes = np.array([int(_METHOD_CODE[x]) for x in methods], dtype=np.int8)[m]
    return amount, t, codes


def jiebei_book(n: int, *, seed: int = 0, bands: dict[str, float] | None = None,
                states: dict[str, float] | None = None, seasoned: bool = True,
                spread_days: bool = True) -> LoanBook:
    """A synthetic Jiebei-like book of ``n`` loans with their terms, reproducible from ``seed``.

    - score bands (the segments) drawn with shares ``bands`` (default ``DEMO_MIX``), each
      priced at its ``JIEBEI_RATES`` annual rate;
    - amounts lognormal with median 10,000 yuan, log-sd 1.0, clipped to 1,000-300,000 yuan
      and rounded to the fen (as ``LoanBook.synthetic``);
    - terms 3, 6 and 12 months with shares ``JIEBEI_TERMS``; methods ``JIEBEI_METHODS``;
    - ``seasoned``: months on book uniform from 0 to term - 1 (a book at mixed ages);
      otherwise all new;
    - starting states with shares ``states`` (default all ``"current"``), past-due loans
      with days past due spread uniformly over their bucket's days (``spread_days``,
      ``creditsim.LoanBook.synthetic``'s rule);
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
    amount, terms, method_codes = draw_contracts(rng, n)
    mob = np.floor(rng.random(n) * terms).astype(np.int32) if seasoned else np.zeros(n, np.int32)
    rates = np.array([JIEBEI_RATES[b] for b in band_n])[band]
    lt = LoanTerms(amount, rates, terms, method_codes, mob)
    from .book import spread_days_past_due

    days = spread_days_past_due(st_n, state, rng) if spread_days else None
    return LoanBook(_codes=(band, band_n, state, st_n, lt.outstanding()), terms=lt, days_past_due=days)


def steady_volume(n: int, prepay: float | None = None, terms: dict[int, float] | None = None) -> int:
    """New loans a month that keep a book of ``n`` live loans steady: ``n`` over the months
    a new loan is expected to stay on the book on its schedule, sum over terms T of
    share(T) · sum_{a<T} (1 - prepay)^a (default ``JIEBEI_PREPAY`` and ``JIEBEI_TERMS``;
    about 7.7 months).  Loans that fall behind stay longer, so the book grows by a little
    (at most about 2% over three years, measured for the preset, docs/calibration.md)."""
    prepay = JIEBEI_PREPAY if prepay is None else prepay
    terms = JIEBEI_TERMS if terms is None else terms
    months = sum(w * sum((1.0 - prepay) ** a for a in range(t)) for t, w in terms.items())
    return int(round(n / months))


def jiebei_living_book(n: int, *, seed: int = 0, states: dict[str, float] | None = None, growth: float = 0.0):
    """A living Jiebei-like book: ``n`` loans in the steady state of constant originations,
    and the origination plan that keeps it so.  Returns ``(book, plan)``: pass the plan to
    ``simulate(..., originations=plan)``.

    The book is what a lender lending the same every month holds: loans of term T with
    months on book a < T in proportion to share(T) · (1 - JIEBEI_PREPAY)^a (longer loans are
    more of the book than of its lending, and fewer old loans are left); score bands,
    amounts, methods and rates as ``jiebei_book``; starting states ``states`` (default
    ``JIEBEI_START``, the living book's own steady mix), past-due loans spread over their
    bucket's days.  The plan lends ``steady_volume(n)`` loans a month (growing by
    ``growth`` a month), drawn as the book's (``Originations`` with ``DEMO_MIX`` and
    ``JIEBEI_RATES``, seed ``seed + 1``).  Nobody starts under an income shock: the
    shocked share builds up over the first months (docs/calibration.md measures it).
    """
    from .book import _count, _shares, spread_days_past_due

    n = _count("n", n)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"presets.jiebei_living_book: seed must be a whole number >= 0, got {seed!r}")
    band_n, band_w = _shares("bands", DEMO_MIX)
    st_n, st_w = _shares("states", states if states is not None else JIEBEI_START)
    rng = np.random.default_rng(seed)
    pairs = [(t, a, w * (1.0 - JIEBEI_PREPAY) ** a) for t, w in JIEBEI_TERMS.items() for a in range(t)]
    p = np.array([x[2] for x in pairs])
    pick = rng.choice(len(pairs), size=n, p=p / p.sum())
    terms = np.array([x[0] for x in pairs], dtype=np.int32)[pick]
    mob = np.array([x[1] for x in pairs], dtype=np.int32)[pick]
    band = rng.choice(len(band_n), size=n, p=band_w).astype(np.int32)
    state = rng.choice(len(st_n), size=n, p=st_w).astype(np.int32)
    amount, _, method_codes = draw_contracts(rng, n)
    rates = np.array([JIEBEI_RATES[b] for b in band_n])[band]
    lt = LoanTerms(amount, rates, terms, method_codes, mob)
    days = spread_days_past_due(st_n, state, rng)
    book = LoanBook(_codes=(band, band_n, state, st_n, lt.outstanding()), terms=lt, days_past_due=days)
    return book, _jiebei_living_plan(n, seed=seed, growth=growth)


def _jiebei_living_plan(n: int, *, seed: int = 0, growth: float = 0.0):
    """The origination plan of ``jiebei_living_book(n, seed=seed, growth=growth)``, without
    drawing its book (a scenario file's ``kind = "jiebei_living"`` asks for it)."""
    from .originations import Originations

    return Originations(steady_volume(n), DEMO_MIX, growth=growth, rates=JIEBEI_RATES, seed=seed + 1)


# ----------------------------------------------------------------- the calibrated preset
#: Behaviour types of every band: share and how their rows differ from the band's figures
#: (multipliers of the band's roll into 1-30, its cure from 1-30 and its three roll rates).
#: Assumptions: most early delinquency is forgetful and cures; constrained borrowers cure
#: little and roll on; strategic ones roll on most and rarely cure.
JIEBEI_TYPES: dict[str, dict[str, float]] = {
    "forgetful": {"share": 0.60, "roll": 0.85, "cure": 1.35, "r1": 0.55, "r2": 1.00, "r3": 1.00},
    "constrained": {"share": 0.30, "roll": 1.10, "cure": 0.60, "r1": 1.45, "r2": 1.05, "r3": 1.05},
    "strategic": {"share": 0.10, "roll": 1.60, "cure": 0.35, "r1": 1.80, "r2": 1.10, "r3": 1.08},
}
#: Per band, the Jiebei preset's figures (calibrated, see docs/defaults.md): the monthly roll
#: current -> 1-30 dpd, cure from 1-30, and the rolls 1-30 -> 31-60 -> 61-90 -> 91-180.
JIEBEI_BANDS: dict[str, dict[str, float]] = {
    "A": {"roll": 0.010, "cure": 0.70, "r1": 0.20, "r2": 0.60, "r3": 0.80},
    "B": {"roll": 0.011, "cure": 0.66, "r1": 0.21, "r2": 0.60, "r3": 0.80},
    "C": {"roll": 0.0143, "cure": 0.62, "r1": 0.22, "r2": 0.60, "r3": 0.80},
    "D": {"roll": 0.0185, "cure": 0.58, "r1": 0.24, "r2": 0.60, "r3": 0.80},
    "E": {"roll": 0.024, "cure": 0.54, "r1": 0.26, "r2": 0.60, "r3": 0.80},
}
#: Monthly cure to current from 31-60 and from 61-90 dpd (assumptions, calibrated: the cure
#: from 31-60 sets the 30+ ratio without moving the 90+/30+ ratio; see docs/defaults.md).
JIEBEI_LATE_CURE = (0.24, 0.01)
#: Monthly prepayment of a current loan in full (range 1%-5%; assumption).
JIEBEI_PREPAY = 0.02
#: Income shock of the preset: monthly hazard, mean months, loading on Z, monthly chance
#: the borrower reports hardship (assumptions).
JIEBEI_SHOCK = {"hazard": 0.004, "mean_months": 6.0, "rho": 0.10, "report_probability": 0.30}
#: Rows of a borrower under an income shock (every band): its roll into 1-30 is this multiple
#: of the band's, and cure and rolls are these (assumptions: much higher roll rates).
JIEBEI_DISTRESSED = {"roll_multiple": 4.0, "cure": 0.30, "r1": 0.45, "r2": 0.65, "r3": 0.80}
#: Fraud claims: 3 per 100,000 loans a month (range 1-10), 2-month review, 60% confirmed,
#: police recover 10% (assumptions inside the domain ranges).
JIEBEI_FRAUD = {"hazard": 3e-5, "review_months": 2, "confirm_probability": 0.6, "police_recovery": 0.10}
#: Starting states of the preset book, shares of loans: the steady state of the living
#: preset book (``jiebei_living_book`` with its steady originations under ``jiebei_model``,
#: months 20-36 of 2,000 scenarios of 5,000 loans, measured; docs/defaults.md), so that a
#: seasoned book neither settles nor spikes in its first months.
JIEBEI_START = {"current": 0.9630, "restructured": 0.0017, "dpd_1_30": 0.0173, "dpd_31_60": 0.0048,
                "dpd_61_90": 0.0038, "dpd_91_180": 0.0094}


def jiebei_matrix(roll: float, cure: float, r1: float, r2: float, r3: float) -> np.ndarray:
    """The 9x9 monthly matrix of the Jiebei preset for one band (or type) figures.

    Unlike ``band_matrix``, maturity is the schedule's (the row's ``paid_off`` is
    prepayment only), loans leave 91-180 dpd by the 180-day charge-off rule rather than a
    row probability, and fraud claims come from the model's ``FraudTransfer``, not the rows.
    """
    m, row = _matrix_builder()

    row("paid_off")
    row("charged_off")
    row("fraud_review")  # held by the FraudTransfer review, never by the row
    row("current", paid_off=JIEBEI_PREPAY, restructured=0.0003, dpd_1_30=roll)
    row("restructured", paid_off=0.02, current=0.05, dpd_1_30=0.05)
    row("dpd_1_30", current=cure, paid_off=0.01, restructured=0.01, dpd_31_60=r1)
    row("dpd_31_60", current=JIEBEI_LATE_CURE[0], restructured=0.02, dpd_1_30=0.05, dpd_61_90=r2)
    row("dpd_61_90", current=JIEBEI_LATE_CURE[1], restructured=0.01, dpd_31_60=0.01, dpd_91_180=r3)
    # few exits from 91-180: the 180-day rule charges off the loans that stay
    row("dpd_91_180", current=0.01, restructured=0.01, dpd_61_90=0.02)
    return m


def _scaled(fig: dict[str, float], mult: dict[str, float]) -> dict[str, float]:
    out = {k: fig[k] * mult[k] for k in ("roll", "cure", "r1", "r2", "r3")}
    out["cure"] = min(out["cure"], 0.92)
    out["r1"] = min(out["r1"], 0.95 - out["cure"] - 0.02)
    out["r2"], out["r3"] = min(out["r2"], 0.70), min(out["r3"], 0.85)
    return out


def jiebei_model(*, shocks: bool = True, fraud: bool = True, phi: float = PHI, rho: float = RHO,
                 charge_off_dpd: int = 180) -> CreditModel:
    """The calibrated Jiebei-like preset: five score bands, each a mix of the three
    behaviour types (``JIEBEI_TYPES``), income shocks with distressed rows, fraud claims,
    charge-off at ``charge_off_dpd`` days past due (default 180, the calibrated rule; a
    later write-off keeps loans 90+ longer, docs/defaults.md), penalty interest 1.5x, cost
    of funds 3%.  Use with
    ``jiebei_book``.  Its calibration (30+ and 90+ dpd ratios) is in docs/defaults.md.
    """
    from .model import BehaviourType, FraudTransfer, IncomeShock

    segs = []
    for band, fig in JIEBEI_BANDS.items():
        types = tuple(BehaviourType(name, t["share"], jiebei_matrix(**_scaled(fig, t)))
                      for name, t in JIEBEI_TYPES.items())
        d = JIEBEI_DISTRESSED
        distressed = jiebei_matrix(roll=min(d["roll_multiple"] * fig["roll"], 0.5), cure=d["cure"], r1=d["r1"],
                                   r2=d["r2"], r3=d["r3"])
        segs.append(Segment(band, rho=rho, types=types, distressed=distressed if shocks else None))
    return CreditModel(states=StateSpace(DEFAULT_STATES), segments=segs, macro=MacroFactor(phi=phi),
                       income_shock=IncomeShock(**JIEBEI_SHOCK) if shocks else None,
                       fraud=FraudTransfer(**JIEBEI_FRAUD) if fraud else None, charge_off_dpd=charge_off_dpd)
