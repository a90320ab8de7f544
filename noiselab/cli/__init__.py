"""The composition root (top floor): the command line, its commands, reports and the wiring that builds the
concrete stores and registries and hands them down. Nothing below imports it."""
