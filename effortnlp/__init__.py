"""effortnlp: Customer Effort Score from support tickets, explained with quoted evidence."""

__version__ = "0.1.0"
