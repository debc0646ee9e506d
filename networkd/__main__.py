"""`python -m networkd` runs the daemon."""

from networkd.daemon import main

main()
