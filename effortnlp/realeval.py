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
from .realdata import load_labelled, real_data_dir
from .render import marker_table, metrics_table
from .schema import MARKERS, marker_column
from .training import marker_scores

REPORTED = ("TRANSFER", "REPEAT_CONTACT", "REPEAT_INFO", "CHANNEL_SWITCH", "UNRESOLVED", "FRUSTRATION")


def evaluate(directory: Path, models: dict[str, Path]) -> dict:
    pairs = load_labelled(directory)
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


def main(argv: list[str] | None = None) -> int:
    directory = real_data_dir()
    if directory is None:
        print("make eval: ../shared/data/real not found (set EFFORTNLP_REAL_DATA); skipped.")
        return 0
    models = {name: MODEL_DIR / name for name in ("default", "synthetic", "prior")}
    report = evaluate(directory, models)
    print(f"Real labelled conversations: {report['n']} ({directory})\n")
    print("Markers (ticket level: count > 0 vs hand label)")
    print(marker_table(report["markers"]))
    print("\nCES against the hand labels")
    print(metrics_table(report["predictors"]))
    if argv and "--json" in argv:
        path = argv[argv.index("--json") + 1]
        Path(path).write_text(json.dumps(report, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
