"""What can be checked of the production stack without a Docker engine (docker-compose.yml, deploy/)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from click.testing import CliRunner
from paho.mqtt import publish
from paho.mqtt.enums import CallbackAPIVersion

from noiselab.cli.main import main
from tests.ops.conftest import ROOT
from tests.services import free_port, require_binary, wait_port, wait_until

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DASHBOARD = json.loads((ROOT / "deploy/grafana/dashboards/noise.json").read_text())


def _env_example() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip('"')
    return out


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_every_compose_variable_is_in_env_example():
    used = {m for s in _strings(COMPOSE) for m in re.findall(r"(?<!\$)\$\{(\w+)", s)}
    assert used, "compose uses no variables?"
    assert used - set(_env_example()) == set()


def test_every_mounted_file_exists_and_images_are_pinned():
    for name, svc in SERVICES.items():
        for volume in svc.get("volumes", []):
            src = volume.split(":")[0]
            if src.startswith("."):
                path = ROOT / src
                # the password file is generated (deploy/mosquitto/README.md), never committed
                assert path.exists() or path.name == "passwd", f"{name}: {src} missing"
        if "image" in svc and "build" not in svc:
            assert ":" in svc["image"], f"{name} image has no tag"
    assert SERVICES["mosquitto"]["image"] == "eclipse-mosquitto:2"
    assert SERVICES["influxdb"]["image"] == "influxdb:2.7"
    assert (ROOT / "Dockerfile").read_text().startswith("#") and "FROM python:3.11-slim" in (
        ROOT / "Dockerfile"
    ).read_text()


def test_healthchecks_and_dependencies_on_health():
    for name, svc in SERVICES.items():
        if "setup" in svc.get("profiles", []):
            continue
        assert "healthcheck" in svc, name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in SERVICES and cond == {"condition": "service_healthy"}, (name, dep)
    assert set(SERVICES["collector-1"]["depends_on"]) == {"mosquitto", "influxdb", "postgres"}


def test_scale_out_two_collectors_two_apis_one_entry_one_registry():
    """SPEC §13 in compose: PostgreSQL for the registry, two collectors on the shared subscription (no
    profile needed), two API processes behind one nginx entry point named ``api`` (what Grafana calls)."""
    assert SERVICES["postgres"]["image"] == "postgres:16"
    noiselab = [n for n, svc in SERVICES.items() if "build" in svc]
    assert set(noiselab) == {"collector-1", "collector-2", "api-1", "api-2"}
    for name in noiselab:
        env = SERVICES[name]["environment"]
        assert (
            env["NOISELAB_REGISTRY_URL"].startswith("postgresql://")
            and "@postgres:5432/" in env["NOISELAB_REGISTRY_URL"]
        ), name
        assert "postgres" in SERVICES[name]["depends_on"], name
        assert "profiles" not in SERVICES[name] and "ports" not in SERVICES[name], name
    for name in ("collector-1", "collector-2"):
        assert SERVICES[name]["command"] == ["noiselab", "collect"]
        assert SERVICES[name]["environment"]["NOISELAB_MQTT_SHARED_GROUP"] == "noiselab"
    for name in ("api-1", "api-2"):
        assert SERVICES[name]["command"] == ["noiselab", "serve"]
    entry = SERVICES["api"]
    assert entry["image"].startswith("nginx:") and entry["ports"] == ["${API_PORT:-8000}:8000"]
    assert set(entry["depends_on"]) == {"api-1", "api-2"}
    conf_path = ROOT / entry["volumes"][0].split(":")[0]
    conf = conf_path.read_text()
    assert re.findall(r"^\s*server (api-\d):8000", conf, re.M) == ["api-1", "api-2"]
    assert re.search(r"^\s*listen 8000;", conf, re.M) and "X-Forwarded-For" in conf


def test_commands_are_real_noiselab_commands():
    commands = set(main.commands)
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    wanted = [cmd] + [svc["command"] for svc in SERVICES.values() if "command" in svc]
    for argv in wanted:
        assert argv[0] == "noiselab" and argv[1] in commands, argv
        assert CliRunner().invoke(main, [*argv[1:], "--help"]).exit_code == 0
    env = SERVICES["collector-1"]["environment"]
    assert env["NOISELAB_MQTT_SHARED_GROUP"] == "noiselab"
    ids = {SERVICES[c]["environment"]["NOISELAB_MQTT_CLIENT_ID"] for c in ("collector-1", "collector-2")}
    assert len(ids) == 2  # a shared subscription needs one session per collector
    from noiselab.domain.settings import Settings

    for key in env:
        if key.startswith("NOISELAB_"):
            assert key.removeprefix("NOISELAB_").lower() in Settings.model_fields, key


def test_influx_init_from_env():
    env = SERVICES["influxdb"]["environment"]
    for key in ("ORG", "BUCKET", "ADMIN_TOKEN", "RETENTION", "USERNAME", "PASSWORD"):
        assert f"DOCKER_INFLUXDB_INIT_{key}" in env
    assert env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"


def _influxql_targets() -> list[str]:
    return [
        t["query"]
        for p in DASHBOARD["panels"]
        for t in p.get("targets", [])
        if t.get("datasource", {}).get("type") == "influxdb"
    ]


def test_dashboard_averages_energy_never_decibels():
    queries = _influxql_targets()
    assert len(queries) >= 3
    level_queries = [q for q in queries if "LAeq" in q]
    assert level_queries and all('10*log10(sum("energy")/sum("seconds"))' in q for q in level_queries)
    for q in queries:
        assert not re.search(r"(mean|median|sum)\(\"?la", q, re.I), q  # no statistic of dB values but max
    provisioning = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/noiselab.yml").read_text())
    uids = {d["uid"] for d in provisioning["datasources"]}
    used = {t["datasource"]["uid"] for p in DASHBOARD["panels"] for t in p["targets"]}
    assert used <= uids
    influx_src = ROOT / "store" / "influx.py"
    if influx_src.exists():  # the adapter's names must be the dashboard's
        text = influx_src.read_text()
        assert re.search(r"rollups_1h,sensor_id=\S+\s+energy,seconds,lafmax", text)


def _run_influxql(tmp_path: Path, lines: str, query: str) -> dict:  # type: ignore[type-arg]
    binary = require_binary("influxd")
    port, bind = free_port(), free_port()
    conf = tmp_path / "influxd.conf"
    conf.write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{bind}"\n[meta]\n dir = "{tmp_path}/meta"\n'
        f'[data]\n dir = "{tmp_path}/data"\n wal-dir = "{tmp_path}/wal"\n'
        f'[http]\n bind-address = "127.0.0.1:{port}"\n log-enabled = false\n'
    )
    proc = subprocess.Popen(
        [binary, "-config", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        base = f"http://127.0.0.1:{port}"

        def post(path: str, data: bytes) -> bytes:
            return urllib.request.urlopen(urllib.request.Request(base + path, data=data), timeout=10).read()

        post("/query", b"q=CREATE+DATABASE+noise")
        post("/write?db=noise", lines.encode())
        q = urllib.parse.urlencode({"db": "noise", "q": query})
        return json.loads(urllib.request.urlopen(f"{base}/query?{q}", timeout=10).read())
    finally:
        proc.terminate()
        proc.wait(10)


def test_dashboard_level_query_gives_the_energy_mean_on_real_influxql(tmp_path: Path):
    # two hours of sensor a (60 and 80 dB) and half an hour of b at 50 dB
    lines = (
        "rollups_1h,sensor_id=a energy=3600e6,seconds=3600,lafmax=70 1780000000000000000\n"
        "rollups_1h,sensor_id=a energy=3600e8,seconds=3600,lafmax=90 1780003600000000000\n"
        "rollups_1h,sensor_id=b energy=1800e5,seconds=1800,lafmax=60 1780003600000000000\n"
    )
    query = next(q for q in _influxql_targets() if "GROUP BY time($__interval)" in q and "LAeq" in q)
    query = query.replace("$timeFilter", "time >= 1779998400s AND time < 1780012800s")
    query = query.replace("${sensor:regex}", "(a|b)").replace("$__interval", "1d")
    result = _run_influxql(tmp_path, lines, query)
    series = {s["tags"]["sensor_id"]: s["values"][0][1] for s in result["results"][0]["series"]}
    assert series["a"] == pytest.approx(10 * __import__("math").log10((1e6 + 1e8) / 2), abs=1e-9)  # 77.03
    assert series["b"] == pytest.approx(50.0, abs=1e-9)


def test_mosquitto_config_raises_the_queue_and_its_acl_works(tmp_path: Path):
    conf = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    assert re.search(r"^max_queued_messages 0$", conf, re.M)
    assert re.search(r"^allow_anonymous false$", conf, re.M)
    # run the shipped config (paths moved to tmp) on the Debian mosquitto 2 with a generated password file
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto")
    passwd = tmp_path / "passwd"
    env = _env_example()
    users = {env["MQTT_COLLECTOR_USER"]: "c-secret", "acme-sensors": "a-secret"}
    for i, (user, password) in enumerate(users.items()):
        flags = ["-c"] if i == 0 else []
        subprocess.run(
            [require_binary("mosquitto_passwd"), *flags, "-b", str(passwd), user, password], check=True
        )
    port = free_port()
    conf = conf.replace("listener 1883", f"listener {port} 127.0.0.1")
    conf = conf.replace("/mosquitto/config/passwd", str(passwd))
    conf = conf.replace("/mosquitto/config/acl", str(ROOT / "deploy/mosquitto/acl"))
    conf = conf.replace("/mosquitto/data/", f"{tmp_path}/").replace(
        "log_dest stdout", f"log_dest file {tmp_path}/log"
    )
    if os.geteuid() == 0:  # as root, mosquitto would drop to its own user, who cannot enter pytest's tmp
        conf += "\nuser root\n"
    (tmp_path / "m.conf").write_text(conf)
    proc = subprocess.Popen([binary, "-c", str(tmp_path / "m.conf")], stderr=subprocess.PIPE)
    clients = []
    try:
        wait_port(port)
        got: list[str] = []

        def client(user: str, password: str) -> mqtt.Client:
            c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{user}", protocol=mqtt.MQTTv5)
            c.username_pw_set(user, password)
            connected: list[object] = []
            c.on_connect = lambda *a: connected.append(a[3])
            c.connect_async("127.0.0.1", port)
            c.loop_start()
            clients.append(c)
            # paho marks itself connected only after on_connect returns: wait for both
            wait_until(lambda: connected and c.is_connected(), what=f"CONNACK for {user}")
            assert not connected[0].is_failure, connected[0]  # type: ignore[attr-defined]
            return c

        sub = client(env["MQTT_COLLECTOR_USER"], "c-secret")
        sub.on_message = lambda _c, _u, m: got.append(m.topic)
        subscribed: list[object] = []
        sub.on_subscribe = lambda *a: subscribed.append(a)
        sub.subscribe("$share/noiselab/noise/+/+/levels", qos=1)
        wait_until(lambda: subscribed, what="SUBACK")

        def send(topic: str) -> None:
            # one synchronous connection per message (paho's own helper): connect, publish QoS 1, disconnect
            publish.single(
                topic,
                b"{}",
                qos=1,
                hostname="127.0.0.1",
                port=port,
                client_id="t-acme-sensors",
                auth={"username": "acme-sensors", "password": "a-secret"},
                protocol=mqtt.MQTTv5,
            )

        send("noise/silentroad/s9/levels")  # not its own topic: the broker drops it
        send("noise/acme-sensors/s1/levels")
        wait_until(lambda: got, what="the vendor's own message")
        send("noise/acme-sensors/s2/levels")
        wait_until(lambda: len(got) == 2, what="second message")
        assert got == ["noise/acme-sensors/s1/levels", "noise/acme-sensors/s2/levels"]
        intruder = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="anon", protocol=mqtt.MQTTv5)
        assert intruder.connect("127.0.0.1", port) == 0
        rc: list[object] = []
        intruder.on_connect = lambda *a: rc.append(a[3])
        intruder.loop_start()
        wait_until(lambda: rc, what="CONNACK")
        intruder.loop_stop()
        assert rc[0].is_failure  # type: ignore[attr-defined]
    finally:
        for c in clients:
            c.loop_stop()
            c.disconnect()
        proc.terminate()
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()
