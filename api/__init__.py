"""HTTP shell: the FastAPI app factory (``api.app.create_app``), routes, problem+json, the resident page."""
