"""Loan money: each month interest, principal (by the loan's repayment method) and a
penalty on arrears fall due; the borrower pays the share of what is overdue that brings
the loan to its new months past due (everything on a payoff), in integer money units."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .base import Feature


def principal_share(rate, log_growth, method, rem):
    """Share of the principal not yet due that falls due this month, given ``rem`` > 0
    instalments left: equal instalments r / ((1+r)^rem − 1) (1/rem at r = 0), equal principal
    1/rem, interest first 0 until the last; every method 1 in its last month."""
    remf = jnp.maximum(rem, 1).astype(jnp.float32)
    ei = jnp.where(rate > 0, rate / jnp.expm1(remf * log_growth), 1.0 / remf)
    share = jnp.where(method == 0, ei, jnp.where(method == 1, 1.0 / remf, 0.0))
    return jnp.where(rem == 1, 1.0, share)


def half_away(x):
    """``x >= 0`` rounded to the nearest whole number, halves up (away from zero), as int32:
    the package's one rounding convention (``creditsim.spec.schedule.round_half_away``);
    exact, where ``floor(x + 0.5)`` is not (0.49999997 + 0.5 rounds to 1 in float32)."""
    f = jnp.floor(x)
    return (f + (x - f >= 0.5)).astype(jnp.int32)


def take(x, frac):
    """``x · frac`` rounded (halves up) for int32 ``x`` and float32 ``frac`` in [0, 1]; exact
    at 0 and 1."""
    part = half_away(x.astype(jnp.float32) * frac)
    return jnp.where(frac >= 1.0, x, jnp.minimum(part, x))


@dataclass(frozen=True)
class Money(Feature):
    name = "money"
    stores = {"store_pay": ("new",)}
    totals = {"balance": "month", "flows": "month", "written": "sum", "accrued": "sum", "owed_at_end": "last"}

    def setup(self, k):
        k.has_paid = k.cm.rules.has_paid_off > 0

    def init(self, k, carry, state0):
        loans = k.loans
        zero = jnp.zeros(state0.shape, jnp.int32)
        carry.update(balance=jnp.where(k.cm.absorbing[state0], 0, loans.balance), due_principal=zero,
                     due_interest=zero, remaining=loans.remaining)

    def init_call(self, k, carry):
        # per call: interest that fell due, and the month a loan was charged off
        state0 = carry["state"]
        carry.update(accrued=jnp.zeros_like(state0), exit=jnp.full_like(state0, -1))

    def restructure_money(self, k, m):
        c = m.c
        m.b, m.dp, m.di, m.rem = c["balance"], c["due_principal"], c["due_interest"], c["remaining"]

    def fall_due(self, k, m):
        cm, loans = k.cm, k.loans
        m.live = ~cm.absorbing[m.state] & ~m.frozen
        due = m.live & (m.rem > 0)
        interest = jnp.where(due, half_away(m.b.astype(jnp.float32) * loans.rate), 0)
        share = principal_share(loans.rate, loans.log_growth, loans.method, m.rem)
        princ = jnp.where(due, take(m.b, share), 0)
        overdue = (m.dp + m.di).astype(jnp.float32)
        pen = jnp.where(m.live, half_away(overdue * loans.penalty), 0)
        b, dp, di, rem, pen, m.interest, princ, m.live = k.store(m.b, m.dp, m.di, m.rem, pen, interest, princ, m.live)
        m.pen = pen
        m.b = b - princ
        m.dp = dp + princ
        m.di = di + m.interest + pen
        m.rem = rem - due.astype(jnp.int32)
        # payment: everything on a payoff; else the share of the overdue amount that brings
        # it from d + 1 instalments (d past due plus this month's) down to d_new
        m.to_paid = m.live & k.has_paid & (m.new == cm.rules.paid_off_state)

    def pay(self, k, m):
        cm, d, live = k.cm, m.d, m.live
        frac = jnp.clip((d + 1 - m.c["dpd"]).astype(jnp.float32) / (d + 1).astype(jnp.float32), 0.0, 1.0)
        frac = jnp.where(m.to_paid, 1.0, jnp.where(live & ~cm.absorbing[m.new], frac, 0.0))
        m.pay_p = take(m.dp, frac)
        m.pay_i = take(m.di, frac)
        m.paid_b = jnp.where(m.to_paid, m.b, 0)
        m.b = m.b - m.paid_b
        m.dp = m.dp - m.pay_p
        m.di = m.di - m.pay_i

    def paid_off(self, k, m):
        cm, b, dp, di, rem = k.cm, m.b, m.dp, m.di, m.rem
        # a loan with nothing left to pay and no instalment to come is paid off
        done = m.live & k.has_paid & ~cm.absorbing[m.new] & (rem == 0) & (b == 0) & (dp == 0) & (di == 0)
        m.new = jnp.where(done, cm.rules.paid_off_state, m.new)
        m.c.update(balance=b, due_principal=dp, due_interest=di, remaining=rem,
                   accrued=m.c["accrued"] + m.interest + m.pen)
        m.inflow = jnp.stack([jnp.sum(m.pay_i, dtype=jnp.int64), jnp.sum(m.pay_p + m.paid_b, dtype=jnp.int64)])

    def after_pay(self, k, m):
        co = k.cm.charge_off
        m.c["exit"] = jnp.where(co[m.new] & ~co[m.state], m.t, m.c["exit"])

    def count(self, k, m):
        c = m.c
        m.out["balance"] = k.count(m.bins, jnp.where(k.cm.absorbing[m.new], 0, c["balance"] + c["due_principal"]))
        m.out["inflow"] = m.inflow

    def classify(self, k, r):
        f = r.final
        r.exposure = f["balance"] + f["due_principal"] + f["due_interest"]

    def finish(self, k, r):
        final, g, n_months = r.final, k.n_segments, k.n_months
        r.res["balance"] = r.outs["balance"][:, : g * k.k * k.f]
        when = jnp.where(r.charged, final["exit"], n_months) * 2 + r.cause
        by_month = jnp.zeros(2 * n_months + 2, jnp.int64).at[when].add(r.exposure)[: 2 * n_months]
        r.res["flows"] = jnp.concatenate([r.outs["inflow"], by_month.reshape(n_months, 2)], axis=1)
        w_p = jnp.where(r.charged, final["balance"] + final["due_principal"], 0).astype(jnp.int64)
        w_i = jnp.where(r.charged, final["due_interest"], 0).astype(jnp.int64)
        r.res["written"] = jnp.zeros((2, 2), jnp.int64).at[r.cause, 0].add(w_p).at[r.cause, 1].add(w_i)
        live_end = ~k.cm.absorbing[final["state"]]
        r.res["accrued"] = jnp.sum(final["accrued"], dtype=jnp.int64)
        r.res["owed_at_end"] = jnp.sum(jnp.where(live_end, final["due_interest"], 0), dtype=jnp.int64)
        del final["accrued"], final["exit"]
