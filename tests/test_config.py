from __future__ import annotations

from pathlib import Path

import pytest

from pinner.config import Config, find_config, parse_config
from pinner.files import FileError
from pinner.outcome import Command, Mode, Status
from pinner.pipeline import run
from pinner.reference import parse_reference
from tests.conftest import run_pinner
from tests.support.fake import FakeResolver


def test_parse_a_full_configuration(tmp_path: Path) -> None:
    config = parse_config(
        "# pinner settings\nexclude: [legacy/**]\nignore:\n  - internal.example.com/*\n"
        "insecure-registries: [registry.lan:5000]\nresolver: docker\njobs: 4\n",
        ".pinner.yaml",
        tmp_path,
    )
    assert config.exclude == ("legacy/**",)
    assert config.ignore == ("internal.example.com/*",)
    assert config.insecure_registries == ("registry.lan:5000",)
    assert (config.resolver, config.jobs, config.root) == ("docker", 4, tmp_path)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        pytest.param("jobs: 4\nexcludes: [a]\n", "unknown key 'excludes'", 2, id="unknown"),
        pytest.param("ignore: {a: b}\n", "'ignore' must be a string or a list", 1, id="type"),
        pytest.param("exclude: [a, 3]\n", "'exclude' must be a string or a list", 1, id="item"),
        pytest.param("platforms: [linux]\n", "'linux' is not os/arch", 1, id="platform"),
        pytest.param("platforms: [linux/arm/v7/x]\n", "is not os/arch", 1, id="platform-parts"),
        pytest.param("strict: yes please\n", "'strict' must be true or false", 1, id="strict"),
        pytest.param("\n\njobs: many\n", "'jobs' must be a whole number", 3, id="jobs"),
        pytest.param("jobs: 0\n", "'jobs' must be a whole number", 1, id="jobs-range"),
        pytest.param("retries: 1.5\n", "'retries' must be a whole number", 1, id="retries"),
        pytest.param("read-timeout: -1\n", "'read-timeout' must be a number", 1, id="timeout"),
        pytest.param("resolver: daemon\n", "'resolver' must be one of", 1, id="resolver"),
        pytest.param("- a\n", "must be a mapping", 1, id="not-mapping"),
        pytest.param("ignore: [a\n", "invalid YAML", 2, id="yaml"),
    ],
)
def test_configuration_errors_name_the_key_and_line(text: str, message: str, line: int) -> None:
    with pytest.raises(FileError) as raised:
        parse_config(text, ".pinner.yaml", Path("."))
    assert message in raised.value.message
    assert raised.value.line == line


@pytest.mark.parametrize("key", ["exclude", "ignore", "insecure-registries", "platforms"])
def test_a_list_of_one_may_be_a_plain_string(key: str) -> None:
    value = "linux/arm64" if key == "platforms" else "legacy/**"
    config = parse_config(f"{key}: {value}\n", ".pinner.yaml", Path("."))
    assert getattr(config, key.replace("-", "_")) == (value,)


def test_platforms_and_strict_are_read() -> None:
    config = parse_config(
        "platforms: [linux/amd64, linux/arm/v7]\nstrict: true\n", ".pinner.yaml", Path(".")
    )
    assert config.platforms == ("linux/amd64", "linux/arm/v7")
    assert config.strict is True
    assert parse_config("jobs: 2\n", ".pinner.yaml", Path(".")).strict is False


def test_find_config_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".pinner.yaml").write_text("jobs: 2\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub").mkdir()
    assert find_config(tmp_path / "repo" / "sub") is None
    (tmp_path / "repo" / ".pinner.yaml").write_text("jobs: 3\n")
    assert find_config(tmp_path / "repo" / "sub") == tmp_path / "repo" / ".pinner.yaml"


@pytest.mark.parametrize(
    ("pattern", "reference", "ignored"),
    [
        ("internal.example.com/*", "internal.example.com/team/app:1", True),
        ("internal.example.com/*", "internal.example.com:5000/app:1", False),
        ("docker.io/library/*", "python:3.12", True),
        ("python", "python:3.12", True),
        ("python:3.12", "python:3.12", True),
        ("python:3.11", "python:3.12", False),
        ("ghcr.io/*", "python:3.12", False),
        # The same image however it is written, in the pattern or in the file.
        ("tester/app", "docker.io/tester/app:1", True),
        ("tester/app", "index.docker.io/tester/app:1", True),
        ("docker.io/tester/app", "tester/app:1", True),
        ("tester/app:1", "docker.io/tester/app:1", True),
        ("tester/*", "docker.io/tester/app:1", True),
        ("library/python", "python:3.12", True),
        ("python", "docker.io/library/python:3.12", True),
        ("tester/app", "ghcr.io/tester/app:1", False),
        ("tester/app:2", "docker.io/tester/app:1", False),
    ],
)
def test_ignore_patterns(pattern: str, reference: str, ignored: bool) -> None:
    config = Config(ignore=(pattern,))
    assert (config.ignored_by(parse_reference(reference)) is not None) is ignored


def test_exclude_and_ignore_in_a_run(tmp_path: Path) -> None:
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "Dockerfile").write_text("FROM internal.example.com/base:1\nFROM python:3.12\n")
    config = Config(root=tmp_path, exclude=("legacy",), ignore=("internal.example.com/*",))
    resolver = FakeResolver()
    outcome = run(Command.PIN, [str(tmp_path)], config, Mode.DRY_RUN, lambda: resolver)
    assert [file.candidate.path.name for file in outcome.files] == ["Dockerfile"]
    statuses = [(r.site.line, r.status) for r in outcome.results]
    assert statuses == [(1, Status.SKIPPED), (2, Status.ADDED)]
    assert "matches 'internal.example.com/*' under ignore" in outcome.results[0].message
    assert resolver.calls == ["docker.io/library/python:3.12"]


def test_a_bad_configuration_is_exit_two(tmp_path: Path) -> None:
    (tmp_path / ".pinner.yaml").write_text("jobs: 4\nfrobnicate: yes\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    result = run_pinner("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"pinner: {tmp_path / '.pinner.yaml'}:2: unknown key")
