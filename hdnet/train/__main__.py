"""``python -m hdnet.train``: print every training key with its default and meaning (the tables
of docs/training.md)."""

from .config import config_tables

print(config_tables(), end="")
