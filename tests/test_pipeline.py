from __future__ import annotations

from pathlib import Path

from pinner.config import Config
from pinner.outcome import Command, Mode, Outcome
from pinner.pipeline import run
from pinner.report.text import text_report
from tests.support.fake import FakeResolver, fake_digest


def pin(paths: list[str], resolver: FakeResolver, mode: Mode, jobs: int) -> Outcome:
    return run(Command.PIN, paths, Config(jobs=jobs), mode, lambda: resolver)


def test_each_normalised_reference_is_looked_up_once(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nFROM docker.io/library/python:3.12\n")
    (tmp_path / "Dockerfile.dev").write_text(
        "FROM index.docker.io/library/python:3.12\nFROM alpine\nFROM alpine:latest\n"
    )
    resolver = FakeResolver()
    outcome = pin([str(tmp_path)], resolver, Mode.WRITE, jobs=8)
    assert sorted(resolver.calls) == [
        "docker.io/library/alpine:latest",
        "docker.io/library/python:3.12",
    ]
    assert outcome.exit_code() == 0
    digest = fake_digest("python:3.12")
    assert (tmp_path / "Dockerfile").read_text() == (
        f"FROM python:3.12@{digest}\nFROM docker.io/library/python:3.12@{digest}\n"
    )


def test_a_failed_lookup_leaves_its_line_and_pins_the_rest(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.99\nFROM python:3.12\n")
    outcome = pin([str(dockerfile)], FakeResolver(missing=["python:3.99"]), Mode.WRITE, jobs=2)
    assert outcome.exit_code() == 2
    assert (
        dockerfile.read_text()
        == f"FROM python:3.99\nFROM python:3.12@{fake_digest('python:3.12')}\n"
    )
    report = text_report(outcome)
    assert f"{dockerfile}:1: python:3.99: not found: tag 3.99 of docker.io/library/python" in report


def test_check_mode_writes_nothing_and_exits_one(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12\n")
    outcome = pin([str(dockerfile)], FakeResolver(), Mode.CHECK, jobs=1)
    assert outcome.exit_code() == 1
    assert dockerfile.read_text() == "FROM python:3.12\n"
    assert "+FROM python:3.12@sha256:" in outcome.changed_files[0].diff()


def test_quiet_report_keeps_only_errors(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nFROM python:3.99\nFROM python:3.12\n")
    outcome = pin([str(dockerfile)], FakeResolver(missing=["python:3.99"]), Mode.DRY_RUN, jobs=1)
    assert [line.split(": ", 1)[0] for line in text_report(outcome, quiet=True)] == [
        f"{dockerfile}:2"
    ]


def test_a_missing_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    outcome = pin([str(tmp_path / "nope")], FakeResolver(), Mode.WRITE, jobs=1)
    assert outcome.exit_code() == 2
    assert text_report(outcome)[0] == f"{tmp_path / 'nope'}: no such file or folder"


def test_discovery_skips_vendored_and_virtualenv_folders(tmp_path: Path) -> None:
    for folder in ("node_modules/x", "vendor", ".git", "venv", "svc"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "svc" / "api.Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "svc" / "notes.txt").write_text("FROM python:3.12\n")
    outcome = pin([str(tmp_path)], FakeResolver(), Mode.DRY_RUN, jobs=1)
    names = sorted(Path(r.path).relative_to(tmp_path).as_posix() for r in outcome.files)
    assert names == ["svc/Dockerfile", "svc/api.Dockerfile"]


def test_update_replaces_digests_in_arg_defaults_and_compose_defaults(tmp_path: Path) -> None:
    old = "sha256:" + "0" * 64
    (tmp_path / "Dockerfile").write_text(
        f'ARG BASE="python:3.12@{old}"\nFROM $BASE\nFROM alpine:3.19@{old}\n'
    )
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  a:\n    image: 'redis:${{TAG:-7@{old}}}'  # cache\n"
    )
    outcome = run(Command.UPDATE, [str(tmp_path)], Config(), Mode.WRITE, FakeResolver)
    assert outcome.exit_code() == 0
    assert (tmp_path / "Dockerfile").read_text() == (
        f'ARG BASE="python:3.12@{fake_digest("python:3.12")}"\nFROM $BASE\n'
        f"FROM alpine:3.19@{fake_digest('alpine:3.19')}\n"
    )
    assert (tmp_path / "compose.yaml").read_text() == (
        f"services:\n  a:\n    image: 'redis:${{TAG:-7@{fake_digest('redis:7')}}}'  # cache\n"
    )
