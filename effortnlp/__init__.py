"""effortnlp: Customer Effort Score from support tickets, explained with quoted evidence."""

__version__ = "0.1.0"

from .analyzer import EffortAnalyzer  # noqa: E402
from .io import InputError, RowError, read_tickets  # noqa: E402
from .schema import Driver, EffortResult, MarkerHit, Ticket, Turn  # noqa: E402

__all__ = [
    "Driver",
    "EffortAnalyzer",
    "EffortResult",
    "InputError",
    "MarkerHit",
    "RowError",
    "Ticket",
    "Turn",
    "__version__",
    "read_tickets",
]
