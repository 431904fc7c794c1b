"""The hand-labelled real conversations in ``../shared/data/real``, and how well the rules do on them.

``python -m effortnlp.realdata --probe`` prints each marker's weak-label recall
and precision on the unlabelled TweetSumm dialogs, the weak labels read from
their human summaries (``summary_probe``): a second, larger check beside the
hand labels. ``python -m effortnlp.realdata --fire`` prints instead how often each marker
and rule fires on the unlabelled dialogs (a false-positive screen).
``python -m effortnlp.realdata`` prints per-marker precision / recall / F1 at
ticket level (a marker counts as found when the finder gives it at least one
hit), on the even lines of ``labels-dev.jsonl`` (the development half), the odd
lines (the check half) and all of them. Nothing here is bundled: the data is
read at run time and everything returns ``None`` / skips when it is absent.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .schema import Ticket, Turn, marker_column

#: Label columns of ``labels-dev.jsonl`` that map one-to-one to marker labels.
LABELLED: tuple[str, ...] = (
    "transfer",
    "repeat_contact",
    "repeat_info",
    "channel_switch",
    "unresolved",
    "frustration",
)

#: Folder of each ``source`` value and the id field in its ``dialogs.jsonl``.
SOURCES: dict[str, tuple[str, str]] = {
    "tweetsumm": ("tweetsumm", "conversation_id"),
    "ibm-twitter-cdp": ("ibm-twitter-cdp", "session_id"),
}

#: 1,020 more of the real dialogs, labelled by us under the same GUIDELINES.md (ids
#: and labels only, no text): ``split`` "dev" was read while writing rules,
#: "check" only counted, "fresh" labelled later from unread dialogs (only counted),
#: "reserve" not yet counted (kept for checking the next rule change).
EXTRA_LABELS = Path(__file__).resolve().parent.parent / "data" / "labels" / "extra-labels.jsonl"

_SPEAKERS = {"customer": "customer", "agent": "agent", "user": "customer", "system": "system"}


def real_data_dir() -> Path | None:
    """The real-data folder: ``$EFFORTNLP_REAL_DATA`` or ``<repo>/../shared/data/real``; None if absent."""
    env = os.environ.get("EFFORTNLP_REAL_DATA")
    candidates = [Path(env)] if env else []
    repo_root = Path(__file__).resolve().parent.parent
    candidates.append(repo_root.parent / "shared" / "data" / "real")
    for c in candidates:
        if (c / "labels-dev.jsonl").is_file():
            return c
    return None


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def dialog_to_ticket(source: str, d: dict[str, Any]) -> Ticket:
    """One ``dialogs.jsonl`` record as a ``Ticket`` with canonical speakers."""
    id_field = SOURCES[source][1]
    turns = []
    for t in sorted(d.get("turns", []), key=lambda t: t.get("turn_index", 0)):
        raw = str(t.get("speaker", ""))
        turns.append(
            Turn(
                speaker=_SPEAKERS.get(raw.lower(), "system"),
                text=t.get("text") or "",
                timestamp=t.get("datetime"),
                channel="twitter",
                speaker_raw=raw,
            )
        )
    return Ticket(
        ticket_id=f"{source}:{d[id_field]}",
        turns=tuple(turns),
        meta={"company": d.get("company")},
        source=source,
    )


def load_dialogs(directory: str | Path, source: str) -> dict[str, Ticket]:
    """Every dialog of one source, keyed by its original id."""
    folder, id_field = SOURCES[source]
    path = Path(directory) / folder / "dialogs.jsonl"
    if not path.is_file():
        return {}
    return {str(d[id_field]): dialog_to_ticket(source, d) for d in _read_jsonl(path)}


def load_all(directory: str | Path) -> list[Ticket]:
    """All dialogs of all sources (labelled or not), for reading what fires."""
    out: list[Ticket] = []
    for source in SOURCES:
        out.extend(load_dialogs(directory, source).values())
    return out


def load_labelled(directory: str | Path, labels: str | Path | None = None) -> list[tuple[Ticket, dict[str, Any]]]:
    """``labels-dev.jsonl`` (or another labels file in its format) joined to the dialogs, in file order.

    A label names its dialog by ``source`` + ``id``, or by ``id`` alone as
    ``"<source>:<id>"``. Labels whose dialog is missing are left out.
    """
    directory = Path(directory)
    dialogs = {s: load_dialogs(directory, s) for s in SOURCES}
    pairs: list[tuple[Ticket, dict[str, Any]]] = []
    for label in _read_jsonl(Path(labels) if labels is not None else directory / "labels-dev.jsonl"):
        source, did = label.get("source", ""), str(label.get("id"))
        if not source and ":" in did:
            source, did = did.split(":", 1)
        ticket = dialogs.get(source, {}).get(did)
        if ticket is not None:
            pairs.append((ticket, label))
    return pairs


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def marker_report(finder, pairs: Sequence[tuple[Ticket, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Ticket-level precision / recall / F1 per labelled marker.

    Returns ``{column: {precision, recall, f1, tp, fp, fn, support, fp_ids, fn_ids}}``.
    """
    counts = {c: {"tp": 0, "fp": 0, "fn": 0, "fp_ids": [], "fn_ids": []} for c in LABELLED}
    for ticket, label in pairs:
        found = {marker_column(h.label) for h in finder.find(ticket)}
        for col in LABELLED:
            pred, gold = col in found, bool(label.get(col))
            c = counts[col]
            if pred and gold:
                c["tp"] += 1
            elif pred:
                c["fp"] += 1
                c["fp_ids"].append(ticket.ticket_id)
            elif gold:
                c["fn"] += 1
                c["fn_ids"].append(ticket.ticket_id)
    report: dict[str, dict[str, Any]] = {}
    for col, c in counts.items():
        report[col] = _prf(c["tp"], c["fp"], c["fn"]) | c | {"support": c["tp"] + c["fn"]}
    return report


def fire_rates(finder, tickets: Iterable[Ticket]) -> tuple[int, dict[str, float], dict[str, float]]:
    """Share of tickets on which each marker label, and each rule id, fires at least once.

    Run it on the unlabelled dialogs to spot rules that fire far too often.
    """
    n = 0
    labels: dict[str, int] = {}
    rules: dict[str, int] = {}
    for ticket in tickets:
        n += 1
        hits = finder.find(ticket)
        for lab in {h.label for h in hits}:
            labels[lab] = labels.get(lab, 0) + 1
        for rid in {h.rule_id for h in hits}:
            rules[rid] = rules.get(rid, 0) + 1
    share = (lambda d: {k: v / n for k, v in sorted(d.items(), key=lambda kv: -kv[1])}) if n else (lambda d: {})
    return n, share(labels), share(rules)


# -- weak labels from the TweetSumm human summaries ------------------------------

#: What a human summary says when a marker happened (CC0 summaries, read at run
#: time). Deliberately broad: a summary paraphrases, so these are cues, not labels.
SUMMARY_CUES: dict[str, re.Pattern[str]] = {
    "transfer": re.compile(
        r"\b(?:escalat\w*|transferr?\w*|forward\w*|pass(?:ed|es|ing)? (?:it |this |the \w+ )?(?:on|along|over)|"
        r"hand(?:ed)? (?:it |this )?over|refer(?:red|s)? (?:to|the customer)|another (?:team|department|agent|person)|"
        r"(?:concerned|relevant|respective|right|specialist|technical|tech|billing|support|\w+) (?:team|department|dept)s?|"
        r"specialists?|supervisor|manager|"
        r"(?:contact|reach out to|speak (?:to|with)|check with|get in touch with|call|approach) (?:the|their|his|her|your) "
        r"(?:bank|airline|seller|hotel|carrier|manufacturer|retailer|store|provider|dealer|developer|publisher|card issuer|"
        r"merchant|vendor|host|airport|local|nearest|company|partner|insurance|insurer))\b",
        re.IGNORECASE,
    ),
    "repeat_contact": re.compile(
        r"\b(?:already|again|repeated\w*|previous\w*|earlier|follow(?:ed|s|ing)?[- ]?up|still (?:waiting|not|no|hasn't|haven't|didn't)|"
        r"second time|third time|several times|many times|multiple times|many days|no (?:response|reply)|not (?:yet )?(?:get|got|received) (?:any |a )?(?:response|reply|call)|"
        r"(?:get|got|getting) back|call(?:ing)? (?:him |her |them |the customer )?back|callback|will (?:contact|update|inform|notify|reach out|keep)|"
        r"(?:try|check) (?:again|back)|wait(?:ing)? for|for (?:the )?(?:last|past) \w+ (?:days|weeks|months)|since \w+)\b",
        re.IGNORECASE,
    ),
    "repeat_info": re.compile(
        r"\b(?:already (?:provided|given|gave|sent|mentioned|told|shared|explained|tried|done|did|checked|informed|stated)|"
        r"(?:as|had) (?:already |previously )?(?:mentioned|said|stated|informed)|repeat\w*|again (?:asks?|asked|requests?|requested)|"
        r"(?:asks?|asked|requests?|requested) again|re-?send|once again)\b",
        re.IGNORECASE,
    ),
    "channel_switch": re.compile(
        r"\b(?:dm|dms|direct message|private message|message them|inbox|call|calling|phone|e-?mail|visit|link|url|website|site|"
        r"chat|store|form|app|help ?cent(?:er|re)|support page|article)\b",
        re.IGNORECASE,
    ),
}


def summary_votes(summaries: Sequence[str]) -> dict[str, float]:
    """Share of a dialog's summaries that mention each marker's cue."""
    n = len(summaries) or 1
    return {col: sum(bool(rx.search(s)) for s in summaries) / n for col, rx in SUMMARY_CUES.items()}


def load_summaries(directory: str | Path) -> dict[str, list[str]]:
    """``tweetsumm:<conversation_id>`` -> its abstractive summaries."""
    path = Path(directory) / "tweetsumm" / "dialogs.jsonl"
    if not path.is_file():
        return {}
    return {f"tweetsumm:{d['conversation_id']}": list(d.get("abstractive_summaries") or []) for d in _read_jsonl(path)}


def summary_probe(finder, directory: str | Path, exclude: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Weak-label recall / precision of each marker against the TweetSumm summaries.

    A dialog is a weak positive for a marker when at least half of its
    summaries carry that marker's cue, a weak negative when none does (the
    rest is left out). Recall = weak positives the finder fires on; precision
    = fired dialogs that are weak positives (of the fired positives and
    negatives). ``exclude`` (the hand-labelled ids) keeps the check
    independent of the dev / check halves. ``miss_ids`` and ``extra_ids``
    list the dialogs to read.
    """
    summaries = load_summaries(directory)
    skip = set(exclude)
    dialogs = load_dialogs(directory, "tweetsumm")
    out = {c: {"pos": 0, "neg": 0, "tp": 0, "fp": 0, "miss_ids": [], "extra_ids": []} for c in SUMMARY_CUES}
    for ticket in dialogs.values():
        if ticket.ticket_id in skip or not summaries.get(ticket.ticket_id):
            continue
        votes = summary_votes(summaries[ticket.ticket_id])
        found = {marker_column(h.label) for h in finder.find(ticket)}
        for col, v in votes.items():
            c = out[col]
            fired = col in found
            if v >= 0.5:
                c["pos"] += 1
                if fired:
                    c["tp"] += 1
                else:
                    c["miss_ids"].append(ticket.ticket_id)
            elif v == 0:
                c["neg"] += 1
                if fired:
                    c["fp"] += 1
                    c["extra_ids"].append(ticket.ticket_id)
    for c in out.values():
        c["recall"] = c["tp"] / c["pos"] if c["pos"] else 0.0
        c["precision"] = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    return out


def format_probe(probe: dict[str, dict[str, Any]]) -> str:
    lines = ["summary probe: weak labels from the TweetSumm summaries (unlabelled dialogs only)",
             f"{'marker':16} {'wR':>5} {'wP':>5}  pos  neg   tp   fp"]
    for col, c in probe.items():
        lines.append(f"{col:16} {c['recall']:5.2f} {c['precision']:5.2f} {c['pos']:4d} {c['neg']:4d} {c['tp']:4d} {c['fp']:4d}")
    return "\n".join(lines)


def ces_rank(finder, pairs: Sequence[tuple[Ticket, dict[str, Any]]]) -> dict[str, float] | None:
    """Spearman rho and MAE of the bundled prior's CES against the labelled ``ces``."""
    from .features import featurize
    from .metrics import spearman
    from .model import PriorModel

    scored = [(t, float(lab["ces"])) for t, lab in pairs if lab.get("ces") is not None]
    if len(scored) < 3:
        return None
    feats = [featurize(t, finder.find(t)) for t, _ in scored]
    ces, _ = PriorModel().predict(feats)
    y = [c for _, c in scored]
    return {"rho": spearman(y, list(ces)), "mae": sum(abs(a - b) for a, b in zip(y, ces, strict=True)) / len(y)}


def format_ces(finder, pairs: Sequence[tuple[Ticket, dict[str, Any]]]) -> str:
    r = ces_rank(finder, pairs)
    return "" if r is None else f"prior CES: Spearman rho {r['rho']:.3f}, MAE {r['mae']:.2f}"


def format_report(title: str, report: dict[str, dict[str, Any]], n: int) -> str:
    lines = [f"{title} (n={n})", f"{'marker':16} {'P':>5} {'R':>5} {'F1':>5}  tp  fp  fn"]
    for col, r in report.items():
        lines.append(
            f"{col:16} {r['precision']:5.2f} {r['recall']:5.2f} {r['f1']:5.2f} "
            f"{r['tp']:3d} {r['fp']:3d} {r['fn']:3d}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    directory = real_data_dir()
    if directory is None:
        print("real labelled data not found (set EFFORTNLP_REAL_DATA or add ../shared/data/real)")
        return 0
    from .markers import MarkerFinder

    finder = MarkerFinder()
    pairs = load_labelled(directory)
    if "--probe" in argv:
        labelled = {t.ticket_id for t, _ in pairs}
        probe = summary_probe(finder, directory, exclude=labelled)
        print(format_probe(probe))
        if "-v" in argv:
            for col, c in probe.items():
                print(f"  {col}: missed {c['miss_ids']}\n  {col}: extra {c['extra_ids']}")
        return 0
    if "--fire" in argv:
        labelled = {t.ticket_id for t, _ in pairs}
        n, labels, rules = fire_rates(finder, (t for t in load_all(directory) if t.ticket_id not in labelled))
        print(f"share of {n} unlabelled dialogs where each marker / rule fires")
        for k, v in labels.items():
            print(f"{k:16} {v:5.3f}")
        for k, v in rules.items():
            print(f"  {k:40} {v:5.3f}")
        return 0
    halves = [("dev half (even lines)", pairs[0::2]), ("check half (odd lines)", pairs[1::2]), ("all", pairs)]
    if EXTRA_LABELS.is_file():
        extra = load_labelled(directory, EXTRA_LABELS)
        halves += [(f"our extra labels, {part} part", [p for p in extra if p[1].get("split") == part])
                   for part in ("dev", "check", "fresh")]
    if "--labels" in argv:  # another labels file in the same format, e.g. your own extra labels
        path = argv[argv.index("--labels") + 1]
        extra = load_labelled(directory, path)
        halves = [(f"{path}", extra)]
    for title, subset in halves:
        rep = marker_report(finder, subset)
        print(format_report(title, rep, len(subset)))
        print(format_ces(finder, subset))
        if "-v" in argv:
            for col, r in rep.items():
                if r["fp_ids"] or r["fn_ids"]:
                    print(f"  {col}: FP {r['fp_ids']}\n  {col}: FN {r['fn_ids']}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
