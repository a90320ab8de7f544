"""The block ``noiselab up`` (and ``collect``/``serve``) shows once it is ready: where the page and the API
docs are, which broker and store it uses, and how to stop it. Written through the log, so secrets in URLs
are scrubbed and the JSON format carries the same facts as fields."""

from __future__ import annotations

from dataclasses import dataclass

from noiselab.domain.settings import Settings

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


def base_url(settings: Settings) -> str:
    """The URL a person on this machine opens (``0.0.0.0`` is not an address a browser can open)."""
    host = "127.0.0.1" if settings.http_host in _ANY_ADDRESS else settings.http_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.http_port}"


@dataclass(frozen=True)
class StartupBlock:
    text: str
    fields: dict[str, object]


def startup_block(
    settings: Settings, *, api: bool, collector: bool, simulated: int = 0, backfill_days: float = 0.0
) -> StartupBlock:
    """The lines and the structured fields of the start-up announcement."""
    url = base_url(settings)
    rows: list[tuple[str, str]] = []
    fields: dict[str, object] = {}
    if api:
        rows += [("Residents' page", f"{url}/"), ("API docs", f"{url}/docs")]
        fields |= {"page_url": f"{url}/", "docs_url": f"{url}/docs"}
    else:
        rows.append(("Health, metrics", f"{url}/ready, {url}/metrics"))
        fields["health_url"] = f"{url}/ready"
    if collector or simulated:
        broker = settings.effective_mqtt_url
        how = " (embedded, MQTT 3.1.1)" if settings.embedded_broker else f" (MQTT {settings.mqtt_protocol})"
        rows.append(("MQTT broker", broker + how))
        fields["broker"] = broker
    rows.append(("Store", settings.effective_store_url))
    fields["store"] = settings.effective_store_url
    if simulated:
        history = f", {backfill_days:g} days of history first" if backfill_days > 0 else ""
        rows.append(("Simulated sensors", f"{simulated}{history}"))
        fields["simulated"] = simulated
    rows.append(("Stop", "press Ctrl-C (or send SIGTERM); what was received is written first"))
    width = max(len(label) for label, _ in rows)
    what = "noiselab is running" if api else "noiselab collector is running"
    lines = ["", f"  {what}", ""] + [f"  {label:<{width}}  {value}" for label, value in rows] + [""]
    return StartupBlock("\n".join(lines), fields)
