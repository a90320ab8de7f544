"""The real InfluxDB engine for the storage tests: Debian's influxd 1.6 plus a small v2-path shim.

influxd 1.6 has ``/write``, ``/query`` and ``/ping`` but not the InfluxDB 2.x/3.x write path that
influxdb-client uses (SPEC §9). The shim, a threaded ``http.server`` on its own free port, serves

    POST /api/v2/write?bucket=B&precision=P   -> POST /write?db=B&precision=P'   (ns->n, us->u, ms, s)
    POST /api/v2/delete?bucket=B  {start, stop, predicate: '_measurement="m"'}
                                              -> DELETE FROM "m" WHERE time >= start AND time < stop
    GET|POST /query, GET /ping                -> passed through unchanged

and answers 503 while influxd is down, which is what a load balancer in front of a stopped InfluxDB does.
influxd is started with a temporary config (meta/data/wal dirs, reporting disabled, HTTP and RPC bind
addresses on free loopback ports); ``stop()``/``start()`` keep its data and ports, so a test can take the
engine away and bring it back.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from localservices import free_port, poll, require_binary, stop_process, wait_port

INFLUXD_CONF = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{dir}/meta"
  logging-enabled = false

[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
  wal-fsync-delay = "0s"
  {data_extra}

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  write-tracing = false

[logging]
  level = "error"

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
"""

_PRECISION = {"ns": "n", "us": "u", "ms": "ms", "s": "s"}


def _make_handler(upstream: str) -> type[BaseHTTPRequestHandler]:
    class ShimHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # silence per-request logging
            pass

        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> None:
            req = urllib.request.Request(upstream + path, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    self._reply(resp.status, resp.read(), resp.headers.get("Content-Type", "text/plain"))
            except urllib.error.HTTPError as exc:
                self._reply(exc.code, exc.read(), exc.headers.get("Content-Type", "text/plain"))
            except OSError as exc:
                self._reply(503, json.dumps({"code": "unavailable", "message": str(exc)}).encode())

        def _v2_write(self, query: dict[str, list[str]]) -> None:
            bucket = query.get("bucket", [""])[0]
            precision = _PRECISION.get(query.get("precision", ["ns"])[0], "n")
            headers = {"Content-Type": "text/plain; charset=utf-8"}
            if self.headers.get("Content-Encoding"):
                headers["Content-Encoding"] = self.headers["Content-Encoding"]
            qs = urllib.parse.urlencode({"db": bucket, "precision": precision})
            self._forward("POST", f"/write?{qs}", self._body(), headers)

        def _v2_delete(self, query: dict[str, list[str]]) -> None:
            spec = json.loads(self._body() or b"{}")
            m = re.fullmatch(r'\s*_measurement\s*=\s*"([^"]+)"\s*', spec.get("predicate", ""))
            if not m:
                self._reply(400, b'{"code":"invalid","message":"shim supports _measurement="m" only"}')
                return

            def ns(t: str) -> int:
                return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1e9)

            q = f'DELETE FROM "{m.group(1)}" WHERE time >= {ns(spec["start"])} AND time < {ns(spec["stop"])}'
            qs = urllib.parse.urlencode({"db": query.get("bucket", [""])[0], "q": q})
            self._forward("POST", f"/query?{qs}", b"", {})

        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path == "/api/v2/write":
                self._v2_write(query)
            elif url.path == "/api/v2/delete":
                self._v2_delete(query)
            elif url.path == "/query":
                ctype = self.headers.get("Content-Type", "application/x-www-form-urlencoded")
                self._forward("POST", self.path, self._body(), {"Content-Type": ctype})
            else:
                self._reply(404, b'{"code":"not found"}')

        def do_GET(self) -> None:
            if urllib.parse.urlsplit(self.path).path in ("/query", "/ping", "/health"):
                self._forward("GET", self.path, None, {})
            else:
                self._reply(404, b'{"code":"not found"}')

    return ShimHandler


@dataclass
class InfluxServer:
    binary: str
    dir: Path
    http_port: int = field(default_factory=free_port)
    rpc_port: int = field(default_factory=free_port)
    data_extra: str = ""  # more [data] settings, e.g. fast compaction for the benchmark
    proc: subprocess.Popen | None = None  # type: ignore[type-arg]
    shim: ThreadingHTTPServer | None = None
    shim_thread: threading.Thread | None = None

    @property
    def engine_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def url(self) -> str:
        """The shim, as noiselab sees it (``NOISELAB_STORE_URL``)."""
        assert self.shim is not None
        return f"influxdb://127.0.0.1:{self.shim.server_address[1]}"

    def start(self) -> InfluxServer:
        conf = self.dir / "influxdb.conf"
        conf.write_text(
            INFLUXD_CONF.format(
                dir=self.dir, http_port=self.http_port, rpc_port=self.rpc_port, data_extra=self.data_extra
            )
        )
        log = open(self.dir / "influxd.log", "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen([self.binary, "-config", str(conf)], stdout=log, stderr=log)
        log.close()
        try:
            wait_port(self.http_port, timeout_s=30)
            poll(self._answers, timeout_s=30, what="influxd /ping")
        except BaseException as exc:  # TimeoutError, or an interrupt
            self.stop()
            log_text = (self.dir / "influxd.log").read_text()[-2000:]
            raise RuntimeError(f"influxd did not start: {log_text}") from exc
        if self.shim is None:
            self.shim = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self.engine_url))
            self.shim.daemon_threads = True
            self.shim_thread = threading.Thread(target=self.shim.serve_forever, daemon=True)
            self.shim_thread.start()
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.engine_url + "/ping", timeout=2) as resp:
                return bool(resp.status == 204)
        except OSError:
            return False

    def query(self, q: str, db: str | None = None) -> dict:  # type: ignore[type-arg]
        params = {"q": q} | ({"db": db} if db else {})
        req = urllib.request.Request(
            self.engine_url + "/query", data=urllib.parse.urlencode(params).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]

    def create_database(self, name: str) -> None:
        self.query(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        self.query(f'DROP DATABASE "{name}"')

    def stop(self) -> None:
        """Stop the engine (the shim stays and answers 503, like a proxy in front of a dead server)."""
        stop_process(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
        if self.shim is not None:
            self.shim.shutdown()
            self.shim.server_close()
            self.shim = None


def start_influx(tmp: Path) -> InfluxServer:
    binary = require_binary("influxd", "/usr/bin/influxd")
    tmp.mkdir(parents=True, exist_ok=True)
    return InfluxServer(binary, tmp).start()
