"""Reading ticket exports and writing results: streaming readers, atomic writers.

``read_tickets`` turns a file, a directory or stdin into ``Ticket`` s (see
``readers`` for formats and policies, ``speakers`` for speaker labels);
``open_writer`` writes rows atomically as CSV, JSONL or Parquet.
"""

from .errors import InputError, RowError
from .readers import FORMATS, count_input_rows, read_tickets
from .writers import RowWriter, open_writer, write_errors

__all__ = [
    "FORMATS",
    "InputError",
    "RowError",
    "RowWriter",
    "count_input_rows",
    "open_writer",
    "read_tickets",
    "write_errors",
]
