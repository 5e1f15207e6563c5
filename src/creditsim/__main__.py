"""``python -m creditsim``: the ``creditsim`` command."""

from .cli import main

main(prog_name="creditsim")
