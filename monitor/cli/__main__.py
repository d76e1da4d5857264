"""`python -m monitor.cli` = `vigia`."""

from monitor.cli import main

main()
