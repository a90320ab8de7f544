"""What a person sees: ``noiselab up`` in a real terminal (tmux) shows one clear start-up block and no JSON;
the same process behind a pipe writes JSON lines; the log format can be forced."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from noiselab.cli import logs
from noiselab.cli.startup import startup_block
from noiselab.domain.settings import Settings
from tests.services import free_port, poll

NOISELAB = str(Path(sys.executable).with_name("noiselab"))


def _env(tmp_path: Path, http_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOISELAB_")}
    env |= {
        "NOISELAB_DATA_DIR": str(tmp_path / "data"),
        "NOISELAB_HTTP_PORT": str(http_port),
        "NOISELAB_EMBEDDED_BROKER_PORT": str(free_port()),
        "NOISELAB_SIMULATE": "0",
    }
    return env | extra


class Tmux:
    """A private tmux server (its own socket) running one command in a 200x40 terminal."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"noiselab-test-{uuid.uuid4().hex[:8]}"
        env_args = [f"{k}={v}" for k, v in env.items() if k.startswith("NOISELAB_") or k in ("PATH", "HOME")]
        self._tmux(
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "40",
            "env",
            *env_args,
            *command,
            ";",
            "set-option",
            "remain-on-exit",
            "on",
        )

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return out.stdout

    def screen(self) -> list[str]:
        return self._tmux("capture-pane", "-p").splitlines()

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def dead(self) -> bool:
        return self._tmux("display-message", "-p", "#{pane_dead}").strip() == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux_up(tmp_path: Path) -> Iterator[tuple[Tmux, int]]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is required in CI")
        pytest.skip("tmux not installed")
    port = free_port()
    term = Tmux([NOISELAB, "up"], _env(tmp_path, port))
    try:
        yield term, port
    finally:
        term.close()


def test_up_in_a_terminal_shows_the_start_up_block(tmux_up: tuple[Tmux, int], tmp_path: Path) -> None:
    term, port = tmux_up
    screen = poll(
        lambda: (lambda s: s if any("Residents' page" in line for line in s) else None)(term.screen()),
        timeout_s=60,
        what="the start-up block on the terminal",
    )
    text = "\n".join(screen)
    url = f"http://127.0.0.1:{port}"
    expected = startup_block(
        Settings(data_dir=tmp_path / "data", http_port=port), api=True, collector=True
    ).text.strip("\n")
    for line in expected.splitlines():
        if "MQTT broker" in line:
            assert "MQTT broker" in text and "(embedded, MQTT 3.1.1)" in text
        elif line.strip():
            assert line.rstrip() in [s.rstrip() for s in screen], (line, text)
    assert f"{url}/docs" in text
    assert not [line for line in screen if line.lstrip().startswith("{")], text  # no JSON on a terminal
    term.keys("C-c")
    poll(lambda: term.dead(), timeout_s=30, what="noiselab up to stop on Ctrl-C")
    assert any("stopped" in line for line in term.screen())


def test_human_and_json_formats() -> None:
    stream = io.StringIO()
    logs.setup("INFO", stream=stream, fmt="human", secrets=["s3cr3t-value"])
    logging.getLogger("noiselab.test").info("connected to mqtt://u:s3cr3t-value@host", extra={"n": 3})
    human = stream.getvalue()
    assert "INFO" in human and "connected to mqtt://u:***@host" in human and "n=3" in human
    assert not human.lstrip().startswith("{") and "s3cr3t-value" not in human

    stream = io.StringIO()
    logs.setup("INFO", stream=stream, fmt="auto")  # a StringIO is not a terminal: JSON
    logging.getLogger("noiselab.test").info("hello", extra={"n": 3})
    record = json.loads(stream.getvalue())
    assert record["msg"] == "hello" and record["n"] == 3
    logs.setup("WARNING")


def test_the_choice_follows_the_stream_and_the_setting() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.choose_format("auto", Tty()) == "human"
    assert logs.choose_format("auto", io.StringIO()) == "json"
    assert logs.choose_format("json", Tty()) == "json"
    assert logs.choose_format("human", io.StringIO()) == "human"
    with pytest.raises(ValueError, match="log format"):
        logs.choose_format("xml", io.StringIO())
    with pytest.raises(ValueError):
        Settings(log_format="xml")  # type: ignore[arg-type]


def test_behind_a_pipe_up_writes_json_lines(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [NOISELAB, "up"],
        env=_env(tmp_path, port),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines: list[str] = []

        def block_logged() -> bool:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            lines.append(line)
            return "page_url" in line

        poll(block_logged, timeout_s=60, what="the start-up record")
        record = json.loads(lines[-1])
        assert record["page_url"] == f"http://127.0.0.1:{port}/" and record["docs_url"].endswith("/docs")
        assert all(json.loads(line) for line in lines if line.strip())
    finally:
        proc.terminate()
        proc.wait(30)
        assert proc.stderr is not None
        proc.stderr.close()
