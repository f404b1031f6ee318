"""``python -m rollcall`` runs the operator command line."""

from rollcall.cli import main

main()
