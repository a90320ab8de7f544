"""The fault, hostile-input and load suite (issue 9): slow runs that print figures, apart from the
fast test suite. Run ``python -m faults --help``; docs/reliability.md has the figures and the commands."""
