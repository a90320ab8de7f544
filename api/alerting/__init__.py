"""Alerts, the shell parts (SPEC §11): rule validation (:mod:`.rules`), the one evaluator per deployment
(:mod:`.evaluator`) and delivery by webhook and email (:mod:`.delivery`).

Placed under ``noiselab.api`` (the shell floor) because the evaluator reads what the API reads (store,
registry, sensor health) and runs inside ``noiselab serve`` / ``noiselab up``; it never imports the
collector, so it works however many collectors write the store. The pure state machine it drives is
:mod:`noiselab.processing.alerting`.
"""
