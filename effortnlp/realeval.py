"""``make eval``: markers and CES on the real labelled conversations in ../shared.

Prints per-marker precision/recall/F1 at ticket level (marker count > 0 vs the
hand label) and, for each model (bundled default, synthetic-trained, prior),
Spearman rho, MAE and QWK between its CES and the hand-labelled CES. These are
the figures we believe; the generator's held-out split is reported by
``make model`` for comparison only.

Exits 0 with a message when ../shared/data/real is absent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .analyzer import MODEL_DIR
from .features import featurize
from .markers import MarkerFinder
from .metrics import ces_report
from .model import load_model
from .realdata import EXTRA_LABELS, load_labelled, real_data_dir
from .render import marker_table, metrics_table
from .schema import MARKERS, marker_column
from .training import marker_scores

REPORTED = ("TRANSFER", "REPEAT_CONTACT", "REPEAT_INFO", "CHANNEL_SWITCH", "UNRESOLVED", "FRUSTRATION")


def evaluate(directory: Path, models: dict[str, Path], pairs: list | None = None) -> dict:
    """Markers and CES of each model on labelled real dialogs (default: ``labels-dev.jsonl``)."""
    pairs = load_labelled(directory) if pairs is None else pairs
    tickets = [t for t, _ in pairs]
    y = np.array([float(lab["ces"]) for _, lab in pairs])
    truth = [
        {m: bool(lab.get(marker_column(m))) for m in REPORTED if marker_column(m) in lab} for _, lab in pairs
    ]
    out: dict = {"n": len(pairs), "predictors": {}, "markers": {}}
    cache: dict[str, tuple] = {}
    for name, path in models.items():
        if not (path / "manifest.json").is_file():
            continue
        model = load_model(path)
        key = str(model.pattern_dir)
        if key not in cache:
            finder = MarkerFinder(pattern_dir=model.pattern_dir)
            hits = [finder.find(t) for t in tickets]
            feats = [featurize(t, h) for t, h in zip(tickets, hits, strict=True)]
            counts = [{m: sum(h.label == m for h in hs) for m in MARKERS} for hs in hits]
            cache[key] = (feats, counts)
        feats, counts = cache[key]
        out["predictors"][name] = ces_report(y, *model.predict(feats))
        if not out["markers"]:
            out["markers"] = marker_scores(counts, truth)
    return out


def evaluate_synthetic(models: dict[str, Path]) -> dict | None:
    """The same figures on the generator's held-out split (every 5th ticket of data/train).

    For comparison only: a model trained on the generator's tickets is scored
    on tickets from the same generator, which flatters it.
    """
    from .bundled import HOLDOUT_EVERY, TRAIN_FILE
    from .io import read_tickets

    if not TRAIN_FILE.is_file():
        return None
    tickets = [t for i, t in enumerate(read_tickets(TRAIN_FILE)) if not i % HOLDOUT_EVERY]
    y = np.array([float(t.meta["ces"]) for t in tickets])
    truth = []
    for t in tickets:
        tr = t.meta.get("truth", {})
        truth.append({m: bool(tr.get(marker_column(m))) for m in REPORTED if marker_column(m) in tr})
    out: dict = {"n": len(tickets), "predictors": {}, "markers": {}}
    finder = MarkerFinder.shared()
    hits = [finder.find(t) for t in tickets]
    feats = [featurize(t, h) for t, h in zip(tickets, hits, strict=True)]
    counts = [{m: sum(h.label == m for h in hs) for m in MARKERS} for hs in hits]
    out["markers"] = marker_scores(counts, truth)
    for name, path in models.items():
        if (path / "manifest.json").is_file():
            out["predictors"][name] = ces_report(y, *load_model(path).predict(feats))
    return out


def main(argv: list[str] | None = None) -> int:
    models = {name: MODEL_DIR / name for name in ("default", "synthetic", "prior")}
    synthetic = evaluate_synthetic(models)
    if synthetic:
        print(f"Generator's held-out split: {synthetic['n']} synthetic tickets (flatters the trained model)\n")
        print("Markers (ticket level: count > 0 vs the generator's truth)")
        print(marker_table(synthetic["markers"]))
        print("\nCES against the generator's labels")
        print(metrics_table(synthetic["predictors"]))
        print("\n" + "-" * 60 + "\n")
    directory = real_data_dir()
    if directory is None:
        print("make eval: ../shared/data/real not found (set EFFORTNLP_REAL_DATA); real-data part skipped.")
        return 0
    pairs = load_labelled(directory)
    report = evaluate(directory, models, pairs)
    report["synthetic_heldout"] = synthetic
    print(f"Real labelled conversations: {report['n']} ({directory}) — the figures we believe\n")
    print("Markers (ticket level: count > 0 vs hand label)")
    print(marker_table(report["markers"]))
    print("\nCES against the hand labels")
    print(metrics_table(report["predictors"]))
    default = {"default": models["default"]}
    halves = {"dev half (even lines)": pairs[0::2], "check half (odd lines)": pairs[1::2]}
    report["halves"] = {k: evaluate(directory, default, v) for k, v in halves.items()}
    print("\nBy half (the rules were written looking at the dev half only):")
    for k, r in report["halves"].items():
        d = r["predictors"].get("default", {})
        f1 = ", ".join(f"{m} {s['f1']:.2f}" for m, s in r["markers"].items())
        print(f"  {k}: rho {d.get('spearman', float('nan')):.3f}, MAE {d.get('mae', float('nan')):.2f}; F1 {f1}")
    if EXTRA_LABELS.is_file():
        extra = load_labelled(directory, EXTRA_LABELS)
        report["extra"] = {}
        for part, note in (
            ("dev", "read while writing rules"),
            ("check", "only counted"),
            ("fresh", "labelled later from unread dialogs, only counted"),
        ):
            subset = [p for p in extra if p[1].get("split") == part]
            if not subset:
                continue
            r = report["extra"][part] = evaluate(directory, default, subset)
            print(f"\nOur own labels ({EXTRA_LABELS.name}), {part} part: {r['n']} dialogs, {note}")
            print(marker_table(r["markers"]))
            print(metrics_table(r["predictors"]))
    if argv and "--json" in argv:
        path = argv[argv.index("--json") + 1]
        Path(path).write_text(json.dumps(report, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
