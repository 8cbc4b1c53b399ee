"""Ctrl-C and registries that never answer: a run ends at once, says why it
waits, and leaves every file as it was."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pinner.resolve.errors import UnreachableError
from pinner.resolve.http import NoAnswerError, Response, _failure
from pinner.resolve.transport import RetryPolicy, Transport
from tests.conftest import start_pinner

pytestmark = pytest.mark.registry


@contextmanager
def black_hole() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server on loopback that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.mark.parametrize("command", ["pin", "report", "resolve"])
def test_ctrl_c_ends_a_run_stuck_on_a_silent_registry_at_once(tmp_path: Path, command: str) -> None:
    with black_hole() as (host, accepted):
        dockerfile = tmp_path / "Dockerfile"
        text = f"\ufeffFROM {host}/stuck/app:1\r\nFROM {host}/stuck/other:2\r\n"
        dockerfile.write_bytes(text.encode())
        named = [f"{host}/stuck/app:1"] if command == "resolve" else []
        process = start_pinner(command, *named, cwd=tmp_path)
        deadline = time.monotonic() + 20
        while not accepted:  # pinner is waiting on the registry
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        time.sleep(0.5)

        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - interrupted

    assert process.returncode == 130, stderr
    assert took < 2, took
    assert stderr.strip().splitlines()[-1] == "pinner: interrupted"
    assert "Traceback" not in stderr
    assert dockerfile.read_bytes() == text.encode()
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]


def test_a_lookup_still_waiting_says_which_host_it_waits_for(tmp_path: Path) -> None:
    with black_hole() as (host, _):
        (tmp_path / ".pinner.yaml").write_text("read-timeout: 11\nconnect-timeout: 1\nretries: 0\n")
        (tmp_path / "Dockerfile").write_text(f"FROM {host}/slow/app:1\n")
        process = start_pinner("pin", cwd=tmp_path)
        _, stderr = process.communicate(timeout=90)

    assert process.returncode == 2
    waiting = [line for line in stderr.splitlines() if line.startswith("pinner: still waiting")]
    assert waiting == [
        f"pinner: still waiting for {host} after 10 s (read-timeout 11 s, retries 0)"
    ]
    assert f"Dockerfile:1: {host}/slow/app:1: unreachable: {host} did not answer in time" in stderr


class _Client:
    """A client stand-in that fails every request the same way."""

    def __init__(self, error: NoAnswerError) -> None:
        self.error = error
        self.calls = 0

    def request(self, *args: object, **kwargs: object) -> Response:
        self.calls += 1
        raise self.error

    def close(self) -> None:
        pass


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    client = _Client(_failure(socket.gaierror(-2, "Name or service not known")))
    transport = Transport(client, RetryPolicy(attempts=4), sleep=lambda _: None)  # type: ignore[arg-type]
    with pytest.raises(UnreachableError, match=r"registry\.invalid: name or service not known"):
        transport.request("GET", "https://registry.invalid/v2/")
    assert client.calls == 1


def test_retry_time_bounds_the_whole_runs_waiting_for_one_host() -> None:
    # Each failed try costs a backoff of 1 s (min 0.5) here; 3 s of waiting in
    # all for one host, however many lookups ask it.
    session = _Client(_failure(ConnectionRefusedError(111, "Connection refused")))
    slept: list[float] = []
    policy = RetryPolicy(attempts=10, total_seconds=3, base_delay=1, max_delay=1)
    transport = Transport(session, policy, sleep=slept.append)  # type: ignore[arg-type]
    for _ in range(3):
        with pytest.raises(UnreachableError):
            transport.request("GET", "https://registry.example/v2/x/manifests/1")
    assert sum(slept) <= 3
    assert session.calls <= 3 + len(slept)
    other = _Client(_failure(ConnectionRefusedError(111, "Connection refused")))
    transport.client = other  # type: ignore[assignment]
    with pytest.raises(UnreachableError):
        transport.request("GET", "https://another.example/v2/")
    assert other.calls > 1  # another host has a budget of its own
