"""The result Dataset of a run, assembled from its exact integer totals: occupancy, losses,
transition counts, cash flows and, with strategies, each strategy's collection figures,
labelled and with units; the model and run settings in ``attrs``."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .._version import __version__
from ..engine.agent import STRATEGY_FLOWS
from ..spec.model import CreditModel

__all__ = ["CURRENCY", "assemble", "model_from_result"]

#: Currency of every money figure.
CURRENCY = "CNY"


#: Variables that no strategy changes (kept once, without a strategy dimension).
_COMMON_VARIABLES = ("macro_z", "initial_exposure", "loans_by_type")


def assemble(totals: list[dict], strategies: list, **common) -> xr.Dataset:
    """The run's Dataset from its totals (one dict of integer arrays per strategy, or the
    one of a run without strategies, ``strategies`` then empty); ``common`` as ``_result``'s
    keywords (model, book, loans' segment and state indices, macro paths, loans by row
    group, exposure units, quantum, horizon, scenarios, seed, engine, flag count)."""
    if not strategies:
        return _result(totals[0], None, **common)
    parts = [_result(t, st, **common) for t, st in zip(totals, strategies, strict=True)]
    per_strategy = [name for name in parts[0].data_vars if name not in _COMMON_VARIABLES]
    ds = xr.concat(parts, dim="strategy", data_vars=per_strategy, coords="minimal", compat="override",
                   combine_attrs="override")
    ds = ds.assign_coords(strategy=("strategy", [st.name for st in strategies],
                                    {"description": "collection strategy (common random numbers)"}))
    ds.attrs["strategies"] = json.dumps([st.to_dict() for st in strategies])
    return ds


def _result(totals, strat, *, model, book, seg, st0, z, by_group, units, quantum, horizon, scenarios, seed,
            engine, f, stage=None, staging=None, new=None) -> xr.Dataset:
    """The Dataset of one run (one strategy) from its integer totals."""
    g, k = len(model.segments), len(model.states)
    money = book.terms is not None
    shocks = model.income_shock is not None
    fraud = model.fraud is not None
    occ = totals["counts"].reshape(scenarios, horizon, g, k, f)
    extra = {}
    if shocks:  # flag bit 2: under a shock during the month; bit 1: hardship reported
        extra = {"in_shock": occ[..., 2:].sum(axis=(3, 4)), "hardship_reported": occ[..., 1::2].sum(axis=(3, 4))}
    occ = occ.sum(axis=4).reshape(scenarios, horizon, g * k)
    loss_units, charged = totals["loss"], totals["charged"]
    extra["transitions"] = totals["moves"].reshape(scenarios, g, k, k)
    police = model.fraud.police_recovery if fraud else 0.0
    if fraud:
        extra["fraud_loss"] = loss_units[:, 1] * quantum * (1.0 - police)
        extra["fraud_charged_off"] = charged[:, 1]
    if money:
        extra["balance"] = totals["balance"].reshape(scenarios, horizon, g, k, f).sum(axis=4) * quantum
        extra["flows"] = totals["flows"][..., :4] * quantum
        extra["sflows"] = totals["flows"][..., 4:]  # strategy columns, in their own units
        extra["quantum"] = quantum
        extra["written"] = totals["written"] * quantum
        extra["end"] = np.stack([totals["accrued"], totals["owed_at_end"]], axis=-1) * quantum
        extra["police"] = police
        extra["opening"] = units * quantum  # the book's balances on the money grid
    if stage is not None:
        extra["staged"] = _staged(totals["attributed"], model, book, seg, st0, stage, units, quantum, police, money)
        extra["staging"] = staging
    if new is not None:
        extra["vintages"] = _vintages(totals, model, book, new, quantum, scenarios, horizon, money, st0, units)
    if strat is not None:
        extra["strategy"] = strat
        extra["recovered_by_age"] = totals["recovered_by_age"] * quantum
        extra["max_contacts"] = totals["max_contacts"]
        extra["contacts_barred"] = totals["contacts_barred"]
    return _dataset(model, book, seg, st0, occ, loss_units[:, 0] * quantum, charged[:, 0], z, by_group, extra,
                    horizon=horizon, scenarios=scenarios, seed=seed, engine=engine)


def _owed_at_start(model, book, st0, units, quantum, money):
    """The book's loans at month 0: ``(live, owed)``, live (not paid off or charged off)
    and the principal owed (with terms; the exposure without)."""
    states = model.states
    live = ~np.isin(st0, [states.index(a) for a in states.absorbing])
    owed = units.astype(np.float64) * quantum if money else book.exposure
    return live, owed


def _vintages(totals, model, book, new, quantum, s, horizon, money, st0, units) -> dict:
    """The vintage views from ``Origination``'s totals (vintage 0: the book at month 0)."""
    loans, new_units = new
    k, v = len(model.states), horizon + 1
    live = totals["vintage_live"].reshape(s, horizon, v, k).astype(np.float64) * quantum
    # (S, 2, vintage, month 0..horizon) -> (S, month, 2, vintage), months 1..horizon
    charged = np.moveaxis(totals["vintage_charged"].reshape(s, 2, v, v)[..., 1:], 3, 1)
    states = model.states
    late = {d: [i for i, n in enumerate(states.names) if n not in states.absorbing and
                30 * states.months_past_due(n) > d] for d in (30, 90)}
    count = np.bincount(loans.entry, minlength=v).astype(np.int64)
    count[0] = len(book)
    amount = np.bincount(loans.entry, weights=new_units * quantum, minlength=v)
    amount[0] = np.sum(book.exposure)
    zero = np.zeros((s, 1, v))
    # month 0: the book's loans as given (principal owed, or exposure, of live loans)
    live0, owed0 = _owed_at_start(model, book, st0, units, quantum, money)
    by_state = np.bincount(st0, weights=np.where(live0, owed0, 0.0), minlength=k)
    start = np.zeros((s, 1, v, k))
    start[:, 0, 0] = by_state
    live = np.concatenate([start, live], axis=1)
    redrawn = None
    if "redrawn" in totals:
        redrawn = np.concatenate([np.zeros((s, 1, 2), np.int64), totals["redrawn"].reshape(s, horizon, 2)], axis=1)
    return {
        "count": count, "amount": amount,
        "balance": live.sum(axis=3),
        "late": np.stack([live[..., late[d]].sum(axis=3) for d in (30, 90)], -1),
        "charged": np.concatenate([zero, charged[:, :, 0]], axis=1).astype(np.int64),
        "charged_principal": np.concatenate([zero, charged[:, :, 1].astype(np.float64) * quantum], axis=1),
        "lent": np.concatenate([[0.0], amount[1:]]) if money else None,
        # repeat draws by month (months 0..horizon): loans, and their principal (exposure)
        "redrawn": None if redrawn is None else redrawn[..., 0],
        "redrawn_amount": None if redrawn is None else redrawn[..., 1].astype(np.float64) * quantum,
    }


def _staged(attributed, model, book, seg, st0, stage, units, quantum, police, money) -> dict:
    """The variables of losses by stage at month 0 (``Attribution``'s totals ``(S, 3, 2,
    G*3)``: measure, cause, segment by stage)."""
    g, n = len(model.segments), 3
    # the last group holds new loans (no stage at month 0): left out
    a = attributed[..., : g * n].reshape(attributed.shape[0], 3, 2, g, n).astype(np.float64) * quantum
    fraud = a[:, :, 1] * (1.0 - police)  # less police recovery
    net = a[:, :, 0] + fraud
    live, owed = _owed_at_start(model, book, st0, units, quantum, money)
    bal = np.bincount(seg * n + stage - 1, weights=np.where(live, owed, 0.0), minlength=g * n).reshape(g, n)
    loans = np.bincount(seg * n + stage - 1, weights=live.astype(np.float64), minlength=g * n).reshape(g, n)
    return {"loss": net[:, 0], "discounted": np.stack([net[:, 2], net[:, 1]], axis=1),
            "discounted_fraud": np.stack([fraud[:, 2], fraud[:, 1]], axis=1), "balance": bal,
            "loans": loans.astype(np.int64)}


def _money_variables(model, seg, st0, extra, s, horizon, money) -> dict:
    """The cash-flow variables of a run with loan terms."""
    g, k = len(model.segments), len(model.states)
    live = ~np.isin(np.arange(k), [model.states.index(a) for a in model.states.absorbing])
    w = np.where(live[st0], extra["opening"], 0.0)
    start = np.bincount(seg * k + st0, weights=w, minlength=g * k).reshape(g, k)
    balance = np.concatenate([np.broadcast_to(start, (s, 1, g, k)), extra["balance"]], axis=1)
    flows = np.concatenate([np.zeros((s, 1, 4)), extra["flows"]], axis=1)
    interest, principal, credit, fraud_gross = (flows[..., i] for i in range(4))
    fraud = fraud_gross * (1.0 - extra["police"])
    costs = np.zeros_like(interest)
    recoveries = np.zeros_like(interest)
    forgone = forgiven = np.zeros_like(interest)
    strat = extra.get("strategy")
    extra_vars = {}
    if strat is not None:
        sf = np.concatenate([np.zeros((s, 1, extra["sflows"].shape[2]), np.int64), extra["sflows"]], axis=1)
        col = {name: sf[..., i] for i, name in enumerate(STRATEGY_FLOWS)}
        q = extra["quantum"]
        agency = next((a for a in strat.actions if a.kind == "agency"), None)
        commission = (agency.commission if agency is not None else 0.0) * col["agency_collected"] * q
        complaints = col["complaints_ppm"] / 1e6
        recoveries = col["recoveries"] * q
        costs = col["action_costs"] * q + commission + strat.complaint_cost * complaints
        forgone = col["interest_forgone"] * q
        forgiven = col["debt_forgiven"] * q
        extra_vars = {
            "action_costs": (col["action_costs"] * q, "cost of the collection actions used in the month (fees "
                             "included)"),
            "agency_commission": (commission, "commission kept by the agency on what it collected in the month"),
            "agency_collections": (col["agency_collected"] * q, "what the agency collected in the month (the "
                                   "commission's base): payments on placed accounts in months that began "
                                   "past due, and recoveries after charge-off"),
            "placed_owed": (col["placed_owed"] * q, "what the accounts placed with an agency or for legal "
                            "action in the month owed when placed"),
            "delinquent_owed": (col["delinquent_owed"] * q, "what the loans that fell past due for the first "
                                "time in the run in the month owed then"),
            "complaint_costs": (strat.complaint_cost * complaints, "expected regulator complaints of the month "
                                "times the strategy's complaint_cost"),
            "interest_forgone": (forgone, "overdue interest and penalty waived by restructures, and interest "
                                 "not charged during deferrals, in the month"),
            "debt_forgiven": (forgiven, "what settlements and judgments left unpaid of the debts they closed "
                              "in the month"),
        }
    net = credit + fraud + costs + forgone + forgiven - recoveries
    # NPV at the cost of funds: cash in (payments and recoveries) less costs by month, the
    # principal still owed at the horizon at par, less what the book is worth at month 0
    v = (1.0 + model.cost_of_funds / 12.0) ** -np.arange(horizon + 1)
    cash = interest + principal + recoveries - costs
    if "vintages" in extra:  # new loans: their principal lent in their month is cash out
        cash = cash - extra["vintages"]["lent"][None, :]
        if extra["vintages"]["redrawn"] is not None:  # and repeat draws
            cash = cash - extra["vintages"]["redrawn_amount"]
    npv = (cash * v).sum(axis=1) + v[-1] * balance[:, -1].sum(axis=(1, 2)) - start.sum()
    by_month = ("scenario", "month")
    desc = {
        "interest_received": (interest, "interest and penalty interest received in the month"),
        "principal_repaid": (principal, "principal received in the month (instalments, cures, prepayments)"),
        "credit_charge_offs": (credit, "exposure (principal plus arrears) charged off as credit losses in the "
                               "month, confirmed frauds apart"),
        "fraud_losses": (fraud, "exposure charged off as confirmed fraud in the month, less police recovery"),
        "collection_costs": (costs, "cost of collection actions in the month (none without a strategy)"),
        "recoveries": (recoveries, "amounts recovered on charged-off loans in the month (none without a strategy)"),
        "net_credit_loss": (net, "credit charge-offs + fraud losses + collection costs - recoveries"),
    }
    if strat is not None:
        desc["net_credit_loss"] = (net, "credit charge-offs + fraud losses + collection costs + interest "
                                   "forgone + debt forgiven - recoveries")
        desc["collection_costs"] = (costs, "action costs + agency commission + complaint costs in the month")
        desc.update(extra_vars)
    out = {name: (by_month, val, {**money, "description": d}) for name, (val, d) in desc.items()}
    if strat is not None:
        out["complaints"] = (by_month, complaints, {"units": "complaints", "description": "expected regulator "
                             "complaints in the month (the sum of each contact's complaint probability)"})
        out["contacts"] = (by_month, col["contacts"], {"units": "contacts", "description": "contacts with "
                           "borrowers in the month (the lender's and its agency's)"})
        out["placements"] = (by_month, col["placements"], {"units": "loans", "description": "accounts placed "
                             "with an agency or for legal action in the month"})
        curves = extra["recovered_by_age"]
        out["recovered_by_age"] = (("scenario", "months_since_charge_off"), curves[:, 0],
                                   {**money, "description": "recoveries on charged-off loans by months since "
                                    "their charge-off (1 = the month after)"})
        out["collected_since_placement"] = (
            ("scenario", "months_since_placement"), curves[:, 1],
            {**money, "description": "what accounts placed with an agency or for legal action paid while "
             "placed (payments in months that began past due, recoveries after charge-off), by months since "
             "the placement (0 = the month of the placement)"})
        out["collected_since_delinquency"] = (
            ("scenario", "months_since_delinquency"), curves[:, 2],
            {**money, "description": "what loans that fell past due for the first time in the run paid in "
             "months that began past due, and recoveries after their charge-off, by months since they fell "
             "past due (1 = the month after)"})
        out["max_contacts"] = (("scenario",), extra["max_contacts"],
                               {"units": "contacts", "description": "most contacts with one borrower in one "
                                "month (the cap is the strategy's max_contacts)"})
        out["contacts_barred"] = (("scenario",), extra["contacts_barred"],
                                  {"units": "contacts", "description": "contacts with borrowers under fraud "
                                   "review or confirmed fraud victims (none, by the engine)"})
    written, end = extra["written"], extra["end"]
    out.update({
        "balance": (("scenario", "month", "segment", "state"), balance,
                    {**money, "description": "principal owed (not yet due plus overdue) by loans in each "
                     "state at the end of each month; charged-off and paid-off loans owe none"}),
        "charged_off_principal": (("scenario",), written[:, :, 0].sum(axis=1),
                                  {**money, "description": "principal charged off over the horizon, credit and fraud"}),
        "charged_off_interest": (("scenario",), written[:, :, 1].sum(axis=1),
                                 {**money, "description": "interest and penalty interest owed by loans when "
                                  "charged off over the horizon, credit and fraud"}),
        "interest_charged": (("scenario",), end[:, 0],
                             {**money, "description": "contract and penalty interest that fell due over the horizon"}),
        "interest_outstanding": (("scenario",), end[:, 1],
                                 {**money, "description": "interest and penalty interest overdue at the horizon "
                                  "on loans not charged off"}),
        "npv": (("scenario",), npv,
                {**money, "description": "net present value at the cost of funds of the book's cash flows over "
                 "the horizon (new loans' principal lent as cash out in their month), with the principal still "
                 "owed at the horizon at par, less the principal owed at month 0"}),
    })
    return out


def _type_table(model: CreditModel, by_group: np.ndarray):
    """Loans by (segment, behaviour type) from counts by row group; type names in order of
    first appearance ("all" for a segment without types)."""
    names: list[str] = []
    for s in model.segments:
        for t, _, _ in s.groups:
            if t not in names:
                names.append(t)
    table = np.zeros((len(model.segments), len(names)), dtype=np.int64)
    i = 0
    for g, s in enumerate(model.segments):
        for t, _, _ in s.groups:
            table[g, names.index(t)] = by_group[i]
            i += 1
    return names, table


def _dataset(model, book, seg, st0, occ, loss_by_seg, charged, z, by_group, flags, **run) -> xr.Dataset:  # noqa: C901
    g, k = len(model.segments), len(model.states)
    s, horizon = run["scenarios"], run["horizon"]
    start = np.bincount(seg * k + st0, minlength=g * k).astype(np.int64)
    occupancy = np.concatenate([np.broadcast_to(start, (s, 1, g * k)), occ], axis=1)
    occupancy = occupancy.reshape(s, horizon + 1, g, k)
    init_exp = np.bincount(seg * k + st0, weights=book.exposure, minlength=g * k).reshape(g, k)
    z_full = np.concatenate([np.full((s, 1), np.nan), z], axis=1)
    money = {"units": CURRENCY, "currency": CURRENCY}
    type_names, type_table = _type_table(model, by_group)
    coords = {
        "behaviour_type": ("behaviour_type", type_names, {"description": "latent borrower types"}),
        "scenario": ("scenario", np.arange(s), {"description": "Monte Carlo scenario index"}),
        "month": ("month", np.arange(horizon + 1), {"units": "months", "description": "months since the start; 0 is the book as given"}),
        "segment": ("segment", list(model.segment_names)),
        "state": ("state", list(model.states.names), {"description": "loan states, best to worst"}),
        "to_state": ("to_state", list(model.states.names), {"description": "loan state at the end of a month"}),
    }
    data = {
        "occupancy": (("scenario", "month", "segment", "state"), occupancy,
                      {"units": "loans", "description": "number of loans in each state at the end of each month"}),
        "loss": (("scenario",), loss_by_seg.sum(axis=1),
                 {**money, "description": "credit loss: exposure of loans charged off over the horizon, "
                  "confirmed frauds apart (loss given default 100%)"}),
        "loss_by_segment": (("scenario", "segment"), loss_by_seg,
                            {**money, "description": "loss by segment"}),
        "charged_off": (("scenario",), charged.sum(axis=1),
                        {"units": "loans", "description": "loans charged off over the horizon"}),
        "charged_off_by_segment": (("scenario", "segment"), charged,
                                   {"units": "loans", "description": "loans charged off over the horizon, by segment"}),
        "transitions": (("scenario", "segment", "state", "to_state"), flags["transitions"],
                        {"units": "loan-months", "description": "moves of open loans over the horizon: "
                         "loans in each state at the start of a month (not paid off or charged off) by their "
                         "state at its end, summed over the months (the simulated roll rates' counts)"}),
        "macro_z": (("scenario", "month"), z_full,
                    {"units": "1", "description": "macro factor Z driving the transition into each month (N(0,1); negative is bad); month 0 has none"}),
        "initial_exposure": (("segment", "state"), init_exp,
                             {**money, "description": "exposure of the book at month 0"}),
        "loans_by_type": (("segment", "behaviour_type"), type_table,
                          {"units": "loans", "description": "loans of each latent behaviour type "
                           "(drawn once per loan from the seed; 'all' for a segment without types)"}),
    }
    flags = flags or {}
    if "fraud_loss" in flags:
        data["fraud_loss"] = (("scenario", "segment"), flags["fraud_loss"],
                              {**money, "description": "exposure of loans charged off as confirmed fraud, "
                               "less police recovery: borne by the platform, apart from the credit loss"})
        data["fraud_charged_off"] = (("scenario", "segment"), flags["fraud_charged_off"],
                                     {"units": "loans", "description": "loans charged off as confirmed fraud"})
    if "flows" in flags:
        data.update(_money_variables(model, seg, st0, flags, s, horizon, money))
    if "vintages" in flags:
        vt = flags["vintages"]
        coords["vintage"] = ("vintage", np.arange(horizon + 1),
                             {"description": "month of origination: 0 the book at month 0, v > 0 the loans lent "
                              "in month v"})
        coords["days"] = ("days", [30, 90], {"units": "days"})
        basis = "principal owed" if "flows" in flags else "exposure"
        data.update({
            "originated": (("vintage",), vt["count"], {"units": "loans", "description": "loans of each vintage "
                           "(vintage 0: the book at month 0)"}),
            "originated_amount": (("vintage",), vt["amount"], {**money, "description": "amount lent in each "
                                  "vintage (vintage 0: the book's exposure at month 0)"}),
            "vintage_balance": (("scenario", "month", "vintage"), vt["balance"],
                                {**money, "description": f"{basis} of the live loans of each vintage at the end "
                                 "of each month (0 before it is lent; month 0: the book as given)"}),
            "vintage_delinquent": (("scenario", "month", "vintage", "days"), vt["late"],
                                   {**money, "description": f"{basis} of the live loans of each vintage more than "
                                    "`days` past due at the end of each month"}),
            "vintage_charged_off": (("scenario", "month", "vintage"), vt["charged"],
                                    {"units": "loans", "description": "loans of each vintage charged off in the "
                                     "month"}),
            "vintage_charged_off_principal": (("scenario", "month", "vintage"), vt["charged_principal"],
                                              {**money, "description": f"{basis} of the loans of each vintage "
                                               "charged off in the month, when charged off"}),
        })
        if vt["lent"] is not None:
            data["principal_lent"] = (("month",), vt["lent"], {**money, "description": "principal lent to new "
                                      "loans in each month (the plan's; repeat draws apart, in redrawn_amount)"})
        if vt["redrawn"] is not None:
            data["redrawn"] = (("scenario", "month"), vt["redrawn"],
                               {"units": "loans", "description": "repeat draws in the month: paid-off borrowers "
                                "who drew again (each joins the month's vintage)"})
            data["redrawn_amount"] = (("scenario", "month"), vt["redrawn_amount"],
                                      {**money, "description": f"{'principal' if 'flows' in flags else 'exposure'} "
                                       "lent by repeat draws in the month"})
    if "staged" in flags:
        st = flags["staged"]
        coords["stage"] = ("stage", [1, 2, 3], {"description": "IFRS 9 stage of the loan at month 0 (the "
                                                "reporting date): 1 performing, 2 significant increase in "
                                                "credit risk, 3 credit-impaired"})
        coords["window"] = ("window", ["12_months", "horizon"],
                            {"description": "losses of loans charged off within the first 12 months, or over "
                             "the whole horizon"})
        basis = "principal owed" if "flows" in flags else "exposure"
        data["loss_by_stage"] = (("scenario", "segment", "stage"), st["loss"],
                                 {**money, "description": "credit charge-offs and fraud losses (less police "
                                  "recovery) over the horizon, by the loan's stage at month 0 (the loss "
                                  "variable's basis: summed, the result's loss plus fraud loss)"})
        data["discounted_loss"] = (("scenario", "window", "segment", "stage"), st["discounted"],
                                   {**money, "description": f"{basis} of loans charged off (fraud less police "
                                    "recovery), discounted to month 0 at each loan's contract rate, by the "
                                    "loan's stage at month 0: within the first 12 months and over the horizon"})
        data["discounted_fraud_loss"] = (("scenario", "window", "segment", "stage"), st["discounted_fraud"],
                                         {**money, "description": "the part of discounted_loss that is "
                                          "confirmed fraud (less police recovery)"})
        data["balance_by_stage"] = (("segment", "stage"), st["balance"],
                                    {**money, "description": f"{basis} at month 0 of the loans not paid off or "
                                     "charged off, by stage"})
        data["loans_by_stage"] = (("segment", "stage"), st["loans"],
                                  {"units": "loans", "description": "loans not paid off or charged off at "
                                   "month 0, by stage"})
    if "in_shock" in flags:
        zero = np.zeros((s, 1, g), dtype=np.int64)
        data["in_shock"] = (("scenario", "month", "segment"), np.concatenate([zero, flags["in_shock"]], axis=1),
                            {"units": "loans", "description": "loans under an income shock during the month "
                             "(moving by distressed rows)"})
        data["hardship_reported"] = (("scenario", "month", "segment"),
                                     np.concatenate([zero, flags["hardship_reported"]], axis=1),
                                     {"units": "loans", "description": "loans whose borrower has reported "
                                      "hardship by the end of the month (what the lender can see)"})
    attrs = {
        "title": "creditsim simulation",
        "creditsim_version": __version__,
        "engine": run["engine"],
        "seed": run["seed"],
        "horizon": horizon,
        "scenarios": s,
        "n_loans": len(book),
        "total_exposure": book.total_exposure,
        "currency": CURRENCY,
        "book_fingerprint": book.fingerprint(),
        "model": json.dumps(model.to_dict()),
    }
    if "staging" in flags:
        attrs["staging"] = json.dumps(flags["staging"].to_dict())
    if "recovered_by_age" in data:
        for dim in ("months_since_charge_off", "months_since_placement", "months_since_delinquency"):
            coords[dim] = (dim, np.arange(horizon), {"units": "months"})
    return xr.Dataset(data, coords=coords, attrs=attrs)


def model_from_result(ds: xr.Dataset) -> CreditModel:
    """The ``CreditModel`` a result was simulated with (from its ``attrs``)."""
    return CreditModel.from_dict(json.loads(ds.attrs["model"]))

