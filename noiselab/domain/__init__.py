"""The domain core, on the ground floor beside ``noiselab.processing``: the reading model, the exception tree,
limit-value targets and the settings types. It imports nothing of ours but ``noiselab.processing``."""
