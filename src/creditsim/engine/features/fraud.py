"""Fraudulent transfer of the borrowed funds: a claim with the month's hazard freezes the
loan under review for ``review_months``; the review confirms it (charged off as fraud) or
rejects it (the loan returns as far past due as if it had paid nothing meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ...compile.model import ONE
from .. import rng as _rng
from .base import Feature


@dataclass(frozen=True)
class Fraud(Feature):
    name = "fraud"
    streams = (_rng.STREAM_FRAUD,)

    def setup(self, k):
        p = k.cm.fraud
        k.review_months = p.review_months.astype(jnp.int32)
        k.confirm_thr = jnp.round(p.confirm_probability * ONE).astype(jnp.uint32)
        k.fraud_thr = jnp.round(k.fraud_hazard * ONE).astype(jnp.uint32)  # (T,) the claim hazard by month

    def init(self, k, carry, state0):
        carry.update(review=jnp.zeros(state0.shape, jnp.int32), by_fraud=jnp.zeros(state0.shape, bool))

    def inputs(self, k, zs):
        return {"fraud_hazard": k.fraud_thr}

    def review(self, k, m):
        # one word decides a claim (not under review) or, in a review's last month, its
        # outcome; a loan under review does not move and nothing falls due on it
        c, p = m.c, k.cm.fraud
        review = c["review"]
        u = m.words[_rng.STREAM_FRAUD] >> jnp.uint32(1)
        in_review = (review > 0) & ~k.cm.absorbing[m.state]  # a loan charged off meanwhile stays so
        confirm = (review == 1) & (u < k.confirm_thr)
        m.reject = (review == 1) & ~confirm
        m.claim = ~in_review & ~k.cm.absorbing[m.state] & (u < m.x["fraud_hazard"])
        held = jnp.where(confirm, p.charge_off_state, jnp.where(m.reject, p.rejected_state, p.review_state))
        m.new = jnp.where(m.claim, p.review_state, jnp.where(in_review, held, m.new))
        c["review"] = jnp.where(m.claim, k.review_months, jnp.maximum(review - 1, 0))
        m.held_back = m.claim | (in_review & ~confirm & ~m.reject)  # in review at the month's end
        c["by_fraud"] = c["by_fraud"] | confirm
        m.frozen = (in_review & ~m.reject) | m.claim

    def age_review(self, k, m):
        # a loan under review keeps its months past due; a rejected claim counts the
        # claim's month and the review's as months past due (the borrower was liable all
        # along): the loan returns as far past due as if it had paid nothing meanwhile, and
        # is charged off when it would have been
        cm, d = k.cm, m.d
        m.d_new = jnp.where(m.held_back, d, m.d_new)
        back = m.reject & (d > 0)
        d_back = d + k.review_months + 1
        m.new = jnp.where(back, cm.returning[jnp.minimum(d_back, cm.returning.shape[0] - 1)], m.new)
        m.d_new = jnp.where(back, d_back, m.d_new)
        m.first = cm.past_first[m.new]

    def classify(self, k, r):
        r.cause = r.final["by_fraud"].astype(jnp.int32)
