"""Cross-turn detectors: effort evidence that no single-turn pattern can see.

Plain Python over the turns of one ticket (and the rule hits already found).
"""

from __future__ import annotations

from .schema import MarkerHit, Ticket


def cross_turn_hits(ticket: Ticket, rule_hits: list[MarkerHit]) -> list[MarkerHit]:
    """Hits from agent changes, re-asked information and the ticket's shape."""
    return []
