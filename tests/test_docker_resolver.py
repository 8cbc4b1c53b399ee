"""`--resolver docker` against a real Docker Engine talking to the test registry."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_pinner
from tests.support.dockerd import RunningDaemon, running_dockerd
from tests.support.registry import (
    Pusher,
    RunningRegistry,
    htpasswd_config,
    running_registry,
    skopeo_digest,
)

pytestmark = pytest.mark.registry


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    with running_dockerd(tmp_path_factory.mktemp("dockerd")) as running:
        yield running


def test_both_resolvers_write_the_same_digests(
    daemon: RunningDaemon, registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    pusher.image("engine/single", "1", media="docker")
    pusher.image("engine/oci", "2", media="oci")
    pusher.index("engine/multi", "3", media="docker")
    pusher.index("engine/multi-oci", "4", media="oci")
    pusher.image("engine/untagged", "latest")
    text = (
        f"FROM {host}/engine/single:1 AS a\n"
        f"FROM {host}/engine/oci:2 AS b\n"
        f"FROM {host}/engine/multi:3 AS c\n"
        f"COPY --from={host}/engine/multi-oci:4 / /\n"
        f"FROM {host}/engine/untagged\n"
    )
    outputs = {}
    for resolver in ("registry", "docker"):
        work = tmp_path / resolver
        work.mkdir()
        (work / "Dockerfile").write_text(text)
        result = run_pinner(
            "pin", "--resolver", resolver, cwd=work, env={"DOCKER_HOST": daemon.host}
        )
        assert result.returncode == 0, result.stderr
        outputs[resolver] = (work / "Dockerfile").read_text()
    assert outputs["docker"] == outputs["registry"]
    for name in ("single:1", "oci:2", "multi:3", "multi-oci:4", "untagged:latest"):
        assert f"{name}@{skopeo_digest(f'{host}/engine/{name}')}" in outputs["docker"]


def test_update_and_check_stale_through_the_engine(
    daemon: RunningDaemon, registry: RunningRegistry, pusher: Pusher, tmp_path: Path
) -> None:
    host = registry.host
    old, _ = pusher.image("engine/moving", "1", content="old")
    (tmp_path / "Dockerfile").write_text(f"FROM {host}/engine/moving:1@{old}\n")
    new, _ = pusher.image("engine/moving", "1", content="new")
    env = {"DOCKER_HOST": daemon.host}
    stale = run_pinner("check", "--stale", "--resolver", "docker", cwd=tmp_path, env=env)
    assert stale.returncode == 1, stale.stderr
    assert "stale" in stale.stdout
    updated = run_pinner("update", "--resolver", "docker", cwd=tmp_path, env=env)
    assert updated.returncode == 0, updated.stderr
    assert (tmp_path / "Dockerfile").read_text() == f"FROM {host}/engine/moving:1@{new}\n"


@pytest.mark.parametrize("resolver", ["registry", "docker"])
def test_both_resolvers_keep_an_index_pin_that_would_drop_platforms(
    daemon: RunningDaemon,
    registry: RunningRegistry,
    pusher: Pusher,
    tmp_path: Path,
    resolver: str,
) -> None:
    host, repository = registry.host, f"engine/shrink-{resolver}"
    index, _ = pusher.index(repository, "1", platforms=(("linux", "amd64"), ("linux", "arm64")))
    text = f"FROM {host}/{repository}:1@{index}\n"
    (tmp_path / "Dockerfile").write_text(text)
    single, _ = pusher.image(repository, "1", content="amd64 only")
    assert skopeo_digest(f"{host}/{repository}:1") == single
    env = {"DOCKER_HOST": daemon.host}

    result = run_pinner("update", "--resolver", resolver, "--format", "json", cwd=tmp_path, env=env)

    assert result.returncode == 1, result.stderr
    assert (tmp_path / "Dockerfile").read_text() == text
    [site] = json.loads(result.stdout)["sites"]
    assert (site["status"], site["tag_digest"]) == ("platforms-dropped", single)
    assert "drop linux/arm64" in site["reason"]


def test_the_engine_gets_the_credentials_the_sdk_loads(
    daemon: RunningDaemon, tmp_path: Path
) -> None:
    users = {"engine-user": "engine-Secret-7"}
    with running_registry(tmp_path / "r", auth=htpasswd_config(tmp_path / "r", users)) as private:
        digest, _ = Pusher(private.url, auth=("engine-user", "engine-Secret-7")).image("p/app", "1")
        config = tmp_path / "docker"
        config.mkdir()
        auth = base64.b64encode(b"engine-user:engine-Secret-7").decode()
        (config / "config.json").write_text(json.dumps({"auths": {private.host: {"auth": auth}}}))
        work = tmp_path / "work"
        work.mkdir()
        (work / "Dockerfile").write_text(f"FROM {private.host}/p/app:1\n")
        env = {"DOCKER_HOST": daemon.host, "DOCKER_CONFIG": str(config)}

        result = run_pinner("pin", "--resolver", "docker", cwd=work, env=env)

        assert result.returncode == 0, result.stderr
        assert (work / "Dockerfile").read_text() == f"FROM {private.host}/p/app:1@{digest}\n"
        assert "engine-Secret-7" not in result.stdout + result.stderr
        (work / "Dockerfile").write_text(f"FROM {private.host}/p/app:1\n")
        no_credentials = run_pinner(
            "pin",
            "--resolver",
            "docker",
            cwd=work,
            env={"DOCKER_HOST": daemon.host, "DOCKER_CONFIG": str(tmp_path / "empty")},
        )
        assert no_credentials.returncode == 2
        assert "Dockerfile:1:" in no_credentials.stderr


def test_no_daemon_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    result = run_pinner(
        "pin",
        "--resolver",
        "docker",
        cwd=tmp_path,
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"},
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pinner: cannot reach the Docker Engine")
    assert "--resolver registry" in lines[0]
    assert (tmp_path / "Dockerfile").read_text() == "FROM python:3.12\n"


def test_the_offline_check_needs_no_daemon(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    result = run_pinner(
        "check",
        "--resolver",
        "docker",
        cwd=tmp_path,
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"},
    )
    assert result.returncode == 1
    assert "python:3.12 has no digest" in result.stdout
