"""One module per command-line verb; ``noiselab.cli`` only declares the options and calls ``run``."""
