"""``python -m noiselab.cli`` = the ``noiselab`` command."""

from noiselab.cli.main import main

main()
