"""`python -m inbox_audit`: the same command line as the `inbox-audit` script."""

from inbox_audit.app.start import main

main()
