"""Faults between pinner and a real registry, injected by a proxy the tests start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from pinner.resolve.transport import RetryPolicy, retry_after
from tests.conftest import run_pinner
from tests.support.fault_proxy import Fault, FaultProxy, fault_proxy
from tests.support.registry import Pusher, RunningRegistry, skopeo_digest

pytestmark = pytest.mark.registry

FAST = "retries: 3\nretry-time: 20\nconnect-timeout: 2\nread-timeout: 1\n"


@pytest.fixture
def proxy(registry: RunningRegistry) -> Iterator[FaultProxy]:
    with fault_proxy(registry.host) as running:
        yield running


@pytest.fixture(scope="module")
def image(pusher: Pusher, registry: RunningRegistry) -> str:
    pusher.index("faults/app", "1", media="oci")
    return skopeo_digest(f"{registry.host}/faults/app:1")


def _pin(proxy: FaultProxy, tmp_path: Path, config: str = FAST) -> tuple[int, str, str]:
    (tmp_path / ".pinner.yaml").write_text(config)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {proxy.host}/faults/app:1\n")
    result = run_pinner("pin", cwd=tmp_path)
    return result.returncode, result.stderr, dockerfile.read_text()


HEAD_MANIFEST = r"/v2/faults/app/manifests/1$"


def test_429_with_retry_after_is_waited_for(proxy: FaultProxy, image: str, tmp_path: Path) -> None:
    proxy.add(Fault("status", "HEAD", HEAD_MANIFEST, 429, {"Retry-After": "1"}))
    started = time.monotonic()
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 0, stderr
    assert time.monotonic() - started >= 1.0
    assert text == f"FROM {proxy.host}/faults/app:1@{image}\n"
    assert proxy.counts["HEAD manifest"] == 2


def test_503_twice_then_success(proxy: FaultProxy, image: str, tmp_path: Path) -> None:
    proxy.add(
        Fault("status", "HEAD", HEAD_MANIFEST, 503), Fault("status", "HEAD", HEAD_MANIFEST, 503)
    )
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 0, stderr
    assert text == f"FROM {proxy.host}/faults/app:1@{image}\n"
    assert proxy.counts["HEAD manifest"] == 3


def test_503_until_the_retries_run_out(proxy: FaultProxy, image: str, tmp_path: Path) -> None:
    proxy.add(*[Fault("status", "HEAD", HEAD_MANIFEST, 503) for _ in range(3)])
    code, stderr, text = _pin(proxy, tmp_path, "retries: 2\nretry-time: 20\n")
    assert code == 2
    assert "answered HTTP 503" in stderr
    assert text == f"FROM {proxy.host}/faults/app:1\n"
    assert proxy.counts["HEAD manifest"] == 3


def test_a_stalled_response_times_out_and_is_retried(
    proxy: FaultProxy, image: str, tmp_path: Path
) -> None:
    proxy.add(Fault("stall", "HEAD", HEAD_MANIFEST))
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 0, stderr
    assert text == f"FROM {proxy.host}/faults/app:1@{image}\n"


def test_a_registry_that_always_stalls_is_unreachable(
    proxy: FaultProxy, image: str, tmp_path: Path
) -> None:
    proxy.add(*[Fault("stall", "HEAD", HEAD_MANIFEST) for _ in range(2)])
    code, stderr, text = _pin(proxy, tmp_path, "retries: 1\nread-timeout: 1\n")
    assert code == 2
    assert f"Dockerfile:1: {proxy.host}/faults/app:1: unreachable: {proxy.host} did not" in stderr
    assert "(2 tries)" in stderr
    assert text == f"FROM {proxy.host}/faults/app:1\n"


def test_a_reset_connection_is_retried(proxy: FaultProxy, image: str, tmp_path: Path) -> None:
    proxy.add(Fault("reset", "HEAD", HEAD_MANIFEST))
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 0, stderr
    assert text == f"FROM {proxy.host}/faults/app:1@{image}\n"


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault("drop-digest", "HEAD", HEAD_MANIFEST), id="missing-header"),
        pytest.param(Fault("digest", "HEAD", HEAD_MANIFEST, value="sha256:xyz"), id="malformed"),
        pytest.param(
            Fault("raw-digest", "HEAD", HEAD_MANIFEST, value="sha256:" + "a" * 64 + "\r\n extra"),
            id="newline-and-extra-text",
        ),
        pytest.param(
            Fault("digest", "HEAD", HEAD_MANIFEST, value="SHA256:" + "A" * 64), id="upper-case"
        ),
    ],
)
def test_a_bad_digest_header_falls_back_to_hashing_the_manifest(
    proxy: FaultProxy, image: str, tmp_path: Path, fault: Fault
) -> None:
    proxy.add(fault)
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 0, stderr
    assert text == f"FROM {proxy.host}/faults/app:1@{image}\n"
    assert proxy.counts["GET manifest"] == 1


def test_a_malformed_digest_on_the_manifest_itself_is_an_error(
    proxy: FaultProxy, image: str, tmp_path: Path
) -> None:
    proxy.add(
        Fault("digest", "HEAD", HEAD_MANIFEST, value="sha256:xyz"),
        Fault("raw-digest", "GET", HEAD_MANIFEST, value="sha256:" + "b" * 64 + "\r\n extra"),
    )
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 2
    assert "claims digest" in stderr
    assert text == f"FROM {proxy.host}/faults/app:1\n"


def test_an_html_page_with_status_200_is_an_error(
    proxy: FaultProxy, image: str, tmp_path: Path
) -> None:
    proxy.add(Fault("html", "HEAD", HEAD_MANIFEST), Fault("html", "GET", HEAD_MANIFEST))
    code, stderr, text = _pin(proxy, tmp_path)
    assert code == 2
    assert "answered with text/html, not an image manifest" in stderr
    assert text == f"FROM {proxy.host}/faults/app:1\n"


@pytest.mark.parametrize(
    ("status", "message"), [(404, "not found: tag 1 of"), (403, "denied:"), (401, "denied:")]
)
def test_answers_are_not_retried(
    proxy: FaultProxy, image: str, tmp_path: Path, status: int, message: str
) -> None:
    proxy.add(*[Fault("status", "HEAD", HEAD_MANIFEST, status) for _ in range(3)])
    code, stderr, _ = _pin(proxy, tmp_path)
    assert code == 2
    assert message in stderr
    assert proxy.counts["HEAD manifest"] == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 0 ", 0.0),
        ("soon", None),
        (None, None),
        ("-3", None),
    ],
)
def test_retry_after_in_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after(header) == expected


def test_retry_after_as_an_http_date() -> None:
    now = 1_800_000_000.0
    assert retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.backoff(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
