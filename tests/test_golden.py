"""Golden outputs: hashes of every variable of the results of fixed runs covering each
feature alone and together (chunk and batch sizes are tested to change nothing in
test_engine and test_money).  They pin today's numbers while the engine is reshaped into
parts: a change that moves any number of any run fails here.

After a change that is meant to change results, regenerate the file deliberately with
``CREDITSIM_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and say why in the commit.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

import creditsim as cs
from creditsim import presets

GOLDEN = Path(__file__).parent / "golden" / "hashes.json"


def digest(ds) -> dict:
    """sha256 of each variable's and coordinate's values (dtype, shape and bytes), and of
    the attributes that hold numbers or the model."""
    out = {}
    for name in sorted(ds.variables):
        v = ds[name].values
        if v.dtype.kind in "OU":
            data = json.dumps([str(x) for x in v.ravel()]).encode()
        else:
            data = np.ascontiguousarray(v).tobytes()
        h = hashlib.sha256(f"{v.dtype.str}{v.shape}".encode() + data)
        out[name] = h.hexdigest()[:16]
    for key in ("seed", "horizon", "scenarios", "n_loans", "total_exposure", "book_fingerprint", "model"):
        out[f"attrs.{key}"] = hashlib.sha256(repr(ds.attrs[key]).encode()).hexdigest()[:16]
    return out


def _exposure_only(book):
    return cs.LoanBook(segment=np.asarray(book.segment_names)[book.segment_codes],
                       state=np.asarray(book.state_names)[book.state_codes], exposure=book.exposure)


def _chain(dpd):
    p = presets.band_matrix(**presets.BANDS["C"])
    model = cs.CreditModel(segments=[cs.Segment("C", p, rho=0.1)], charge_off_dpd=dpd)
    rng = np.random.default_rng(3)
    states = rng.choice(list(cs.DEFAULT_STATES)[1:7], size=2000)
    return model, cs.LoanBook(segment=np.full(2000, "C"), state=states, exposure=rng.uniform(500, 5000, 2000))


#: The preset's starting mix when the runs were pinned (before it became the living book's
#: steady state): the pinned books keep it.
PINNED_START = {"current": 0.979, "dpd_1_30": 0.006, "dpd_31_60": 0.0025, "dpd_61_90": 0.002, "dpd_91_180": 0.0105}


def _jiebei_book(n=3000, spread_days=False):
    # the runs pinned before books had days past due start each loan at its state's first
    # month past due; "all_seasoned" spreads them over their buckets' days
    return presets.jiebei_book(n, seed=2, states=PINNED_START, spread_days=spread_days)


#: name -> (model, book, simulate options): each feature alone, then together
RUNS = {
    "chain": lambda: (*_chain(None), dict(horizon=7, scenarios=8, seed=1)),
    "chain_dpd": lambda: (*_chain(180), dict(horizon=7, scenarios=8, seed=1)),
    "demo": lambda: (presets.demo_model(), presets.demo_book(3000, seed=1, spread_days=False), dict(horizon=12, scenarios=8, seed=2)),
    "types": lambda: (presets.jiebei_model(shocks=False, fraud=False), _exposure_only(_jiebei_book()),
                      dict(horizon=9, scenarios=8, seed=3)),
    "shocks": lambda: (presets.jiebei_model(fraud=False), _exposure_only(_jiebei_book()),
                       dict(horizon=9, scenarios=8, seed=4)),
    "fraud": lambda: (presets.jiebei_model(shocks=False), _exposure_only(_jiebei_book()),
                      dict(horizon=9, scenarios=8, seed=5)),
    "money": lambda: (presets.jiebei_model(shocks=False, fraud=False), _jiebei_book(),
                      dict(horizon=13, scenarios=8, seed=6)),
    "all": lambda: (presets.jiebei_model(), _jiebei_book(), dict(horizon=13, scenarios=8, seed=7)),
    "all_seasoned": lambda: (presets.jiebei_model(), _jiebei_book(spread_days=True),
                             dict(horizon=13, scenarios=8, seed=7)),
    "recession": lambda: (cs.apply_stress(presets.jiebei_model(), "recession"), _jiebei_book(),
                          dict(horizon=13, scenarios=8, seed=7)),
    # a small book that drops finished loans between 4-month spans
    "all_dropping": lambda: (presets.jiebei_model(), _jiebei_book(),
                             dict(horizon=13, scenarios=4, seed=8, min_drop_size=256, month_span=4)),
    "six_strategies": lambda: (presets.jiebei_model(), _jiebei_book(2000),
                               dict(horizon=12, scenarios=4, seed=9, strategies=list(cs.STRATEGIES))),
}


def _run(name):
    model, book, kw = RUNS[name]()
    return cs.simulate(model, book, **kw)


@pytest.fixture(scope="module")
def golden():
    if os.environ.get("CREDITSIM_UPDATE_GOLDEN"):
        return {}
    return json.loads(GOLDEN.read_text())


@pytest.fixture(scope="module")
def updated():
    new = {}
    yield new
    if os.environ.get("CREDITSIM_UPDATE_GOLDEN") and new:
        old = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
        GOLDEN.write_text(json.dumps({**old, **new}, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("name", list(RUNS))
def test_golden_hashes(name, golden, updated):
    got = digest(_run(name))
    if os.environ.get("CREDITSIM_UPDATE_GOLDEN"):
        updated[name] = got
        return
    want = golden[name]
    changed = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
    assert not changed, f"{name}: these outputs changed: {changed}"

