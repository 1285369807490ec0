"""python -m xl_addin: the customer-tiers command."""

from .cli import run

run()
