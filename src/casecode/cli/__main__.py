"""`python -m casecode.cli` runs the command line."""

from . import main

main()
