"""Rebuild the bundled models from ``data/`` (``make model``), deterministically.

Writes three model directories:

- ``models/synthetic``: the pipeline trained on the generator's training split
  (every fifth ticket is held out and scored, never trained on);
- ``models/prior``: the rules-only prior (research weights, no training);
- ``models/default``: a copy of whichever of the two ``DEFAULT`` names.

``DEFAULT`` is a decision written in this file, not made at build time, so the
build gives the same bytes whether or not ``../shared`` is present. It was set
from ``make eval`` on the real labelled conversations (see the README): the
model that does better on *real* data is the default.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

from .features import featurize
from .markers import MarkerFinder
from .metrics import ces_report
from .model import PriorModel, label_values, save_model
from .training import _summarise, train

ROOT = Path(__file__).resolve().parent.parent
TRAIN_FILE = ROOT / "data" / "train" / "tickets.jsonl"
MODELS = ROOT / "models"
SEED = 0
HOLDOUT_EVERY = 5

#: Which model ``models/default`` is: "prior" or "synthetic". See the module docstring.
DEFAULT = "prior"


def _load_train():
    from .io import read_tickets

    tickets = list(read_tickets(TRAIN_FILE))
    labels = [t.meta["ces"] for t in tickets]
    return tickets, labels


def build(out: Path = MODELS, *, log=print) -> dict:
    tickets, labels = _load_train()
    train_idx = [i for i in range(len(tickets)) if i % HOLDOUT_EVERY]
    hold_idx = [i for i in range(len(tickets)) if not i % HOLDOUT_EVERY]
    finder = MarkerFinder()
    log(f"training on {len(train_idx)} synthetic tickets, holding out {len(hold_idx)}")
    model, cv = train(
        [tickets[i] for i in train_idx], [labels[i] for i in train_idx], seed=SEED, finder=finder
    )

    model.manifest["training"]["source"] = f"{TRAIN_FILE.relative_to(ROOT)} (every {HOLDOUT_EVERY}th ticket held out)"
    hold = [tickets[i] for i in hold_idx]
    y = label_values([labels[i] for i in hold_idx], "ces")
    feats = [featurize(t, finder.find(t)) for t in hold]
    heldout = {
        "synthetic": ces_report(y, *model.predict(feats)),
        "prior": ces_report(y, *PriorModel().predict(feats)),
    }
    heldout["mean"] = ces_report(y, np.full(len(y), float(np.mean(label_values([labels[i] for i in train_idx], "ces")))), np.full(len(y), 0.5))
    model.manifest["metrics"]["heldout"] = _summarise(heldout)

    save_model(model, out / "synthetic", extra={"description": "trained on data/train (synthetic), every 5th ticket held out"})
    prior = PriorModel()
    prior.manifest["metrics"] = {"heldout": _summarise({"prior": heldout["prior"]})}
    save_model(prior, out / "prior", extra={"description": "rules-only prior: research weights, no training"})
    default = out / "default"
    if default.exists():
        shutil.rmtree(default)
    shutil.copytree(out / DEFAULT, default)
    manifest = json.loads((default / "manifest.json").read_text())
    manifest["name"] = "default"
    manifest["default_of"] = DEFAULT
    # The manifest does not hash itself, so editing it keeps the files verified.
    (default / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    summary = {"cv": _summarise(cv), "heldout": _summarise(heldout), "default": DEFAULT}
    log(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    build(log=lambda s: print(s, file=sys.stderr))
