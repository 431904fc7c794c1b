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

import dataclasses
import operator
from collections.abc import Sequence

import numpy as np

from .features import DESCRIPTIONS, FEATURE_GROUPS, FEATURE_NAMES, NEUTRAL
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


_GROUPS: tuple[str, ...] = tuple(FEATURE_GROUPS)
_NEUTRAL_ROW = np.array([NEUTRAL[f] for f in FEATURE_NAMES], dtype=float)
#: group x feature: True where the feature belongs to the group.
_GROUP_MASK = np.array([[f in FEATURE_GROUPS[g] for f in FEATURE_NAMES] for g in _GROUPS], dtype=bool)


def _variant_rows(feats_list: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """The model's input rows as dicts: the neutral ticket, then per ticket itself and
    per group it differs in, the ticket with the group off and the neutral one with
    only the group on. (The models' ``predict``; ``_variant_matrix`` is the same rows.)"""
    rows: list[dict[str, float]] = [dict(NEUTRAL)]
    for feats in feats_list:
        rows.append(feats)
        for g in _groups_on(feats):
            off = dict(feats)
            only = dict(NEUTRAL)
            for f in FEATURE_GROUPS[g]:
                off[f] = NEUTRAL[f]
                only[f] = feats[f]
            rows.append(off)
            rows.append(only)
    return rows


def _groups_on(feats: dict[str, float]) -> list[str]:
    return [g for g, names in FEATURE_GROUPS.items() if any(feats[f] != NEUTRAL[f] for f in names)]


def _variant_matrix(feats_list: Sequence[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """``_variant_rows`` as one matrix (columns in ``FEATURE_NAMES`` order), built
    without the dicts, and the group-on table (ticket x group)."""
    n, width = len(feats_list), len(FEATURE_NAMES)
    base = np.array([_FEATURES(f) for f in feats_list], dtype=float).reshape(n, width)
    differs = base != _NEUTRAL_ROW
    on = (differs[:, None, :] & _GROUP_MASK[None, :, :]).any(axis=2)  # ticket x group
    per_ticket = on.sum(axis=1)
    first_pair = np.concatenate(([0], np.cumsum(per_ticket)[:-1])).astype(np.intp)
    own = 1 + np.arange(n, dtype=np.intp) + 2 * first_pair
    X = np.empty((1 + n + 2 * int(per_ticket.sum()), width), dtype=float)
    X[0] = _NEUTRAL_ROW
    X[own] = base
    ticket, group = np.nonzero(on)  # ticket-major, groups in FEATURE_GROUPS order
    if len(ticket):
        rank = np.arange(len(ticket), dtype=np.intp) - first_pair[ticket]
        off = own[ticket] + 1 + 2 * rank
        mask = _GROUP_MASK[group]
        X[off] = np.where(mask, _NEUTRAL_ROW, base[ticket])
        X[off + 1] = np.where(mask, base[ticket], _NEUTRAL_ROW)
    return X, on


_FEATURES = operator.itemgetter(*FEATURE_NAMES)


class _DriverSlots:
    """``Driver``'s memory layout without its frozen ``__setattr__`` (see ``_new_driver``)."""

    __slots__ = Driver.__slots__


class _ResultSlots:
    """``EffortResult``'s memory layout without its frozen ``__setattr__``."""

    __slots__ = EffortResult.__slots__


def _new_driver_fast(name, contribution, value, hits, description) -> Driver:
    d = _DriverSlots()
    d.name = name
    d.contribution = contribution
    d.value = value
    d.hits = hits
    d.description = description
    d.__class__ = Driver
    return d  # type: ignore[return-value]


def _new_result_fast(
    ticket_id, ces, band, p_high, counts, drivers, hits, empty, baseline_ces, n_turns
) -> EffortResult:
    r = _ResultSlots()
    r.ticket_id = ticket_id
    r.ces = ces
    r.band = band
    r.p_high = p_high
    r.counts = counts
    r.drivers = drivers
    r.hits = hits
    r.empty = empty
    r.baseline_ces = baseline_ces
    r.n_turns = n_turns
    r.__class__ = EffortResult
    return r  # type: ignore[return-value]


def _checked(fast, cls):
    """``fast`` when it builds exactly what ``cls`` builds on this interpreter, else ``cls``
    (a field added to the class but not to ``fast``, a layout the assignment refuses...)."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    if names != fast.__code__.co_varnames[: len(names)] or fast.__code__.co_argcount != len(names):
        return cls
    args = tuple(object() for _ in names)
    try:
        built = fast(*args)
        same = type(built) is cls and all(getattr(built, n) is a for n, a in zip(names, args, strict=True))
        same = same and built == cls(*args)
    except Exception:  # noqa: BLE001 -- any doubt: the plain constructor
        return cls
    return fast if same else cls


#: ``Driver(...)`` and ``EffortResult(...)`` with every field given positionally, several
#: times faster: a frozen dataclass's ``__init__`` sets each field with the slow generic
#: ``object.__setattr__``, and a batch builds a result and a few drivers per ticket. As
#: ``schema.new_turn`` does, the fields go into a plain twin with the same slots, which is
#: then made the real class: the object is an ordinary, equal, frozen ``Driver``/``EffortResult``.
_new_driver = _checked(_new_driver_fast, Driver)
_new_result = _checked(_new_result_fast, EffortResult)


def score_batch(
    model: EffortModel,
    tickets: Sequence[Ticket],
    hits_list: Sequence[list[MarkerHit]],
    feats_list: Sequence[dict[str, float]],
) -> list[EffortResult]:
    """Score a batch and attach each ticket's drivers with their evidence."""
    predict_matrix = getattr(model, "predict_matrix", None)
    if predict_matrix is not None and feats_list:
        X, on = _variant_matrix(feats_list)
        ces_all, p_all = predict_matrix(X)
        groups_list = [[_GROUPS[k] for k in row.nonzero()[0]] for row in on]
    else:
        ces_all, p_all = model.predict(_variant_rows(feats_list))
        groups_list = [_groups_on(feats) for feats in feats_list]
    ces_l = np.asarray(ces_all).tolist()
    p_l = np.asarray(p_all).tolist()
    baseline = float(ces_l[0])

    results: list[EffortResult] = []
    own = 1
    for ticket, hits, feats, groups in zip(tickets, hits_list, feats_list, groups_list, strict=True):
        ces = float(ces_l[own])
        counts = dict.fromkeys(MARKERS, 0)
        for h in hits:
            if h.label in counts:
                counts[h.label] += 1
        raw = [
            0.5 * ((ces - float(ces_l[own + 2 * k + 1])) + (float(ces_l[own + 2 * k + 2]) - baseline))
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
                _new_driver(g, contribution, _group_value(g, feats, counts), evidence, DESCRIPTIONS.get(g, ""))
            )
        # Most effort first: the most negative contributions lead.
        drivers.sort(key=lambda d: (d.contribution, d.name))
        results.append(
            _new_result(
                ticket.ticket_id,  # ticket_id
                ces,  # ces
                band_for(ces),  # band
                float(p_l[own]),  # p_high
                counts,  # counts
                tuple(drivers),  # drivers
                tuple(hits),  # hits
                ticket.is_empty,  # empty
                baseline,  # baseline_ces
                len(ticket.turns),  # n_turns
            )
        )
        own += 1 + 2 * len(groups)
    return results
