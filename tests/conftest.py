from __future__ import annotations

import pytest

from effortnlp.schema import Ticket, Turn


def make_ticket(ticket_id: str, *turns: tuple[str, str], **meta) -> Ticket:
    """A ticket from (speaker, text) pairs."""
    return Ticket(ticket_id, tuple(Turn(s, t) for s, t in turns), meta=meta)


@pytest.fixture(scope="session")
def finder():
    from effortnlp.markers import MarkerFinder

    return MarkerFinder.shared()
