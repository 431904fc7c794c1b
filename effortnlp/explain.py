"""Drivers: how many CES points each feature group moved a ticket's score.

A driver's contribution is measured by switching its group off: the score with
the group at its neutral value (no markers; a short ordinary exchange) minus
the score as it is. It works the same for any model, trained or prior, and is
in CES points, so "transfer -1.2" reads as "the transfer cost 1.2 points".
All the switched-off variants of a batch go to the model in one call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .features import DESCRIPTIONS, FEATURE_GROUPS, NEUTRAL
from .model import EffortModel
from .schema import MARKERS, Driver, EffortResult, MarkerHit, Ticket, band_for, marker_column

#: Drivers that moved the score by less than this many points are not reported.
MIN_CONTRIBUTION = 0.05

_GROUP_LABEL = {marker_column(m): m for m in MARKERS}


def _group_value(group: str, feats: dict[str, float], counts: dict[str, int]) -> float:
    if group in _GROUP_LABEL:
        return float(counts.get(_GROUP_LABEL[group], 0))
    if group == "conversation_length":
        return float(round(np.expm1(feats["customer_turns_log"])))
    return float(sum(feats[f] for f in FEATURE_GROUPS[group]))


def score_batch(
    model: EffortModel,
    tickets: Sequence[Ticket],
    hits_list: Sequence[list[MarkerHit]],
    feats_list: Sequence[dict[str, float]],
) -> list[EffortResult]:
    """Score a batch and attach each ticket's drivers with their evidence."""
    rows: list[dict[str, float]] = [dict(NEUTRAL)]
    plan: list[tuple[int, list[str]]] = []  # (row of the ticket itself, groups switched off)
    for feats in feats_list:
        own = len(rows)
        rows.append(feats)
        groups = [
            g for g, names in FEATURE_GROUPS.items() if any(feats[f] != NEUTRAL[f] for f in names)
        ]
        for g in groups:
            off = dict(feats)
            for f in FEATURE_GROUPS[g]:
                off[f] = NEUTRAL[f]
            rows.append(off)
        plan.append((own, groups))
    ces_all, p_all = model.predict(rows)
    baseline = float(ces_all[0])

    results: list[EffortResult] = []
    for ticket, hits, feats, (own, groups) in zip(tickets, hits_list, feats_list, plan, strict=True):
        ces = float(ces_all[own])
        counts = dict.fromkeys(MARKERS, 0)
        for h in hits:
            if h.label in counts:
                counts[h.label] += 1
        drivers = []
        for k, g in enumerate(groups, start=1):
            contribution = ces - float(ces_all[own + k])
            if abs(contribution) < MIN_CONTRIBUTION:
                continue
            label = _GROUP_LABEL.get(g)
            evidence = tuple(h for h in hits if h.label == label) if label else ()
            if g == "agents_involved":
                evidence = tuple(h for h in hits if h.label == "TRANSFER" and h.source != "rule")
            drivers.append(
                Driver(
                    name=g,
                    contribution=contribution,
                    value=_group_value(g, feats, counts),
                    hits=evidence,
                    description=DESCRIPTIONS.get(g, ""),
                )
            )
        # Most effort first: the most negative contributions lead.
        drivers.sort(key=lambda d: (d.contribution, d.name))
        results.append(
            EffortResult(
                ticket_id=ticket.ticket_id,
                ces=ces,
                band=band_for(ces),
                p_high=float(p_all[own]),
                counts=counts,
                drivers=tuple(drivers),
                hits=tuple(hits),
                empty=ticket.is_empty,
                baseline_ces=baseline,
                n_turns=len(ticket.turns),
            )
        )
    return results
