"""Compliance reports: ``data`` computes, ``charts`` draws (matplotlib), ``html`` renders one file."""
