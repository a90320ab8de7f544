# One image for every noiselab role: `noiselab up` (collector + its /ready), `noiselab collect`,
# `noiselab serve` (API), and the offline commands (import, export, report, keys).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLBACKEND=Agg \
    NOISELAB_DATA_DIR=/data \
    NOISELAB_HTTP_HOST=0.0.0.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY noiselab ./noiselab
COPY ingest ./ingest
COPY processing ./processing
COPY api ./api
COPY store ./store
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data noiselab \
    && mkdir -p /data && chown noiselab /data

USER noiselab
VOLUME ["/data"]
EXPOSE 8000
STOPSIGNAL SIGTERM
ENTRYPOINT []
CMD ["noiselab", "serve"]
