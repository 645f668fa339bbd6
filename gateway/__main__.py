"""``python -m gateway`` is the ``relais`` command."""

from gateway.cli import main

main()
