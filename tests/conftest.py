from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from effortnlp.schema import Ticket, Turn


def pytest_configure(config):
    # Compiled Hyperscan databases go to a cache of the test run's own (``effortnlp.hyper``),
    # not the user's, unless one is given.
    if "EFFORTNLP_CACHE_DIR" not in os.environ:
        config._effortnlp_cache = tempfile.mkdtemp(prefix="effortnlp-test-cache-")
        os.environ["EFFORTNLP_CACHE_DIR"] = config._effortnlp_cache


def pytest_unconfigure(config):
    where = getattr(config, "_effortnlp_cache", None)
    if where:
        shutil.rmtree(where, ignore_errors=True)
        os.environ.pop("EFFORTNLP_CACHE_DIR", None)


def make_ticket(ticket_id: str, *turns: tuple[str, str], **meta) -> Ticket:
    """A ticket from (speaker, text) pairs."""
    return Ticket(ticket_id, tuple(Turn(s, t) for s, t in turns), meta=meta)


@pytest.fixture(scope="session")
def finder():
    from effortnlp.markers import MarkerFinder

    return MarkerFinder.shared()


def turn_by_turn_hits(finder, ticket: Ticket):
    """The plain reference for ``MarkerFinder.rule_hits``: each spoken turn on its own, ``turn_hits``."""
    hits = []
    for i, t in enumerate(ticket.turns):
        if t.text and t.speaker in ("customer", "agent"):
            hits.extend(finder.turn_hits(t.text, t.speaker, i))
    return hits
