"""inbox-audit: who is waiting for an answer in a mailbox, and since when."""

__version__ = "0.1.0"
