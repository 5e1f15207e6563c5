"""Where importance sampling of the macro path should aim: ``tail_macro_mean``.

For a large book the loss of a scenario is nearly a function of its macro path, and of
the innovations of the AR(1) mostly through one direction. The most likely path of a
1-in-1,000 year then lies at the distance Φ⁻¹(0.999) = 3.09 of the innovations' origin
along the direction in which the loss grows fastest (Glasserman & Li 2005: the mode of the
loss given the factor). A pilot finds that direction by finite differences on common
random numbers: one scenario at the aimed-at path, one for each month's innovation made
worse by ``step``, all on the same random words, so the differences are the macro
factor's effect and not the draws' noise.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..engine import rng as _rng
from ..engine.macro import innovation_shift, mean_path
from ..results.risk import loss_per_scenario
from ..spec.model import CreditModel

__all__ = ["tail_macro_mean"]

#: Pilot rounds of ``tail_macro_mean`` (the first starts from a constant shift of every
#: month, the second from the first's direction). Measured on the preset's 1,000,000-loan
#: book over 12 months: the second round turned the direction by 1 − cos = 9e-5, a third by
#: 2e-5, and two seeds' two-round answers differ by 4.5e-5 (the pilot's own noise): one round
#: is nearly enough there; two guard a loss further from linear in the innovations.
ROUNDS = 2
#: Size of the pilot's finite differences, in standard deviations of an innovation
#: (assumption: large enough that a million-loan book's loss moves well beyond the draws'
#: noise on common random numbers, small beside the 3.09 of the tail).
STEP = 0.5


def tail_macro_mean(model: CreditModel, book, *, horizon: int, level: float = 0.999, seed: int = 0,
                    engine: str = "agent", rounds: int = ROUNDS, step: float = STEP, variable: str | None = None,
                    **options) -> np.ndarray:
    """The mean path of the macro factor Z, by month ``(horizon,)``, that aims importance
    sampling (``simulate(..., macro_mean=...)``) at the ``level`` tail of the loss.

    The innovations ε of the AR(1) are shifted by μ = Φ⁻¹(level)·u, u the unit direction
    in which the loss grows fastest (a pilot, below), and the result is the mean path of Z
    that shift gives (months the model's macro path fixes keep their values and are not
    shifted).  Where the loss follows one combination of the innovations, a loss at the
    ``level`` quantile sits at that distance along u, and the shifted runs sample the tail
    about half the time.

    The pilot: ``rounds`` times, 1 + (months drawn) scenarios of this ``engine`` on this
    ``book``, all on the random words of one scenario (common random numbers): the path
    with innovations c·u and one with each month's innovation lowered by ``step``.  The
    loss's rise in each gives the new u.  The first round starts from the direction of a
    constant shift of Z; each costs 1 + horizon scenarios of a run.

    Parameters
    ----------
    model, book
        As ``simulate``.
    horizon
        Months, as the run's.
    level
        The tail aimed at, in (0, 1); default 0.999 (the 1-in-1,000 year).
    seed
        The pilot's seed (default 0); its random words are those of scenario 0.
    engine
        ``"agent"`` or ``"cohort"``, as the run's (the pilot compiles what the run reuses).
    rounds
        Pilot rounds, >= 1; default 2 (``ROUNDS``).
    step
        The finite differences' step, standard deviations of an innovation, > 0; default
        0.5 (``STEP``).
    variable
        The loss, as ``risk_summary``'s: default ``"net_credit_loss"`` with loan terms,
        else ``"loss"``.
    **options
        Further ``simulate`` options of the run (its ``exposure_classes``, ``chunk_size``,
        ``originations``, ...).

    Returns
    -------
    numpy.ndarray
        The mean of Z by month, float64, for ``macro_mean``.
    """
    from .simulation import _simulate

    for name in ("scenarios", "macro_mean", "macro_strata", "macro_antithetic", "macro_sobol", "strategies"):
        if options.get(name) not in (None, False) and not (name == "strategies" and not options[name]):
            raise ValueError(f"tail_macro_mean: {name} is not an option here (the pilot runs its own scenarios "
                             f"of one loss), got {options[name]!r}")
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise ValueError(f"tail_macro_mean: level must be in (0, 1), got {level!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1:
        raise ValueError(f"tail_macro_mean: rounds must be a whole number >= 1, got {rounds!r}")
    if isinstance(step, bool) or not isinstance(step, (int, float, np.floating)) or not 0 < step <= 3:
        raise ValueError(f"tail_macro_mean: step must be in (0, 3] (standard deviations of an innovation), got "
                         f"{step!r}")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"tail_macro_mean: horizon must be a whole number >= 1, got {horizon!r}")
    horizon = int(horizon)
    phi = model.macro.phi
    path = model.macro.path[:horizon] if model.macro.path is not None else None
    n_fixed = 0 if path is None else path.size
    free = np.arange(n_fixed, horizon)
    if free.size == 0:
        raise ValueError(f"tail_macro_mean: the model's macro path fixes all {horizon} months; there is no macro "
                         f"draw to shift")
    u = innovation_shift(phi, horizon, -1.0, path)
    u /= np.linalg.norm(u)
    c = float(special.ndtri(level))
    n = 1 + free.size
    key = _rng.scenario_keys(seed, np.zeros(1, dtype=np.int64))
    keys = np.repeat(key, n, axis=0)
    for _ in range(int(rounds)):
        eps = np.repeat((c * u)[None, :], n, axis=0)
        eps[1 + np.arange(free.size), free] -= step
        z = np.stack([mean_path(phi, e, path) for e in eps])
        ds = _simulate(model, book, horizon=horizon, scenarios=n, seed=seed, engine=engine, paths=(keys, z),
                       **options)
        _, loss = loss_per_scenario(ds, variable, caller="tail_macro_mean")
        x = np.asarray(loss.values, dtype=np.float64)
        rise = (x[1:] - x[0]) / step
        if not np.any(rise > 0):
            raise ValueError(f"tail_macro_mean: the loss does not grow when any month's macro factor falls "
                             f"(rises {rise.tolist()} per standard deviation); the model's loss does not follow "
                             f"the macro factor (rho = 0?), and importance sampling of it cannot help")
        u = np.zeros(horizon)
        u[free] = -rise / np.linalg.norm(rise)
    return mean_path(phi, c * u, path)
