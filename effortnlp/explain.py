"""Drivers: how many CES points each feature group moved a ticket's score.

A ticket differs from the neutral one (no markers; a short ordinary exchange)
in a few feature groups. Each group's contribution is the average of two
effects: switching it *off* in the ticket (score as it is minus score without
it) and switching it *on* in the neutral ticket (score with only it minus the
neutral score) — the first and last terms of a Shapley ordering. One-sided
occlusion fails where the scale saturates: a ticket at CES 1 with four
markers stays at 1 when any one is removed, so every driver would read 0.
The contributions are then scaled to add up exactly to the ticket's score
minus the neutral score, so "7.0 − 2.1 repeat contact − 1.9 unresolved − …"
reads as the whole story. It works the same for any model, trained or prior,
and is in CES points. All the variants of a batch go to the model in one call.
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
            only = dict(NEUTRAL)
            for f in FEATURE_GROUPS[g]:
                off[f] = NEUTRAL[f]
                only[f] = feats[f]
            rows.append(off)
            rows.append(only)
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
        raw = [
            0.5 * ((ces - float(ces_all[own + 2 * k + 1])) + (float(ces_all[own + 2 * k + 2]) - baseline))
            for k in range(len(groups))
        ]
        total = ces - baseline
        scale = total / sum(raw) if abs(sum(raw)) > 1e-9 and total * sum(raw) > 0 else 1.0
        drivers = []
        for g, r in zip(groups, raw, strict=True):
            contribution = r * scale
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
