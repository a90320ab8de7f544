"""Shaping code behind the routes: bounded reads, calls into ``processing``, rows for JSON and CSV."""
