"""``EffortAnalyzer``: the public façade tying markers, features, model and drivers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from .explain import score_batch
from .features import featurize
from .markers import MarkerFinder
from .model import EffortModel, ModelError, PriorModel, load_model
from .schema import EffortResult, MarkerHit, Ticket

#: Where ``make model`` puts the bundled models, relative to the repository.
MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
BUNDLED_MODEL = MODEL_DIR / "default"

BATCH_SIZE = 500


def bundled_model_path() -> Path:
    """``$EFFORTNLP_MODEL`` if set, else the repository's ``models/default``."""
    return Path(os.environ.get("EFFORTNLP_MODEL") or BUNDLED_MODEL)


def batched(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class EffortAnalyzer:
    """Score tickets and explain the scores.

    >>> analyzer = EffortAnalyzer.load()            # the bundled model
    >>> for result in analyzer.score(read_tickets("dump.jsonl")):
    ...     print(result.ticket_id, result.ces, result.band)
    """

    def __init__(self, model: EffortModel, finder: MarkerFinder | None = None):
        self.model = model
        self.finder = finder or MarkerFinder.shared(model.pattern_dir)

    @classmethod
    def load(cls, path: str | Path | None = None) -> EffortAnalyzer:
        """Load a saved model (default: the bundled one) with the patterns it was trained with."""
        path = Path(path) if path is not None else bundled_model_path()
        return cls(load_model(path))

    @classmethod
    def prior(cls, pattern_dir: str | Path | None = None) -> EffortAnalyzer:
        """The rules-only prior: fixed research weights, no training."""
        return cls(PriorModel(pattern_dir=Path(pattern_dir) if pattern_dir else None))

    def markers(self, ticket: Ticket) -> list[MarkerHit]:
        return self.finder.find(ticket)

    def score_many(self, tickets: Sequence[Ticket]) -> list[EffortResult]:
        """Score one batch of tickets."""
        hits_list = self.finder.find_all(tickets)
        feats_list = [featurize(t, h) for t, h in zip(tickets, hits_list, strict=True)]
        return score_batch(self.model, tickets, hits_list, feats_list)

    def score(self, tickets: Iterable[Ticket], batch_size: int = BATCH_SIZE) -> Iterator[EffortResult]:
        """Stream results, one per ticket, in input order."""
        for batch in batched(tickets, batch_size):
            yield from self.score_many(batch)

    def explain(self, ticket: Ticket) -> EffortResult:
        """The score of one ticket with every driver and its evidence."""
        return self.score_many([ticket])[0]


__all__ = ["EffortAnalyzer", "ModelError", "bundled_model_path"]
