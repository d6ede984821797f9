"""``make run`` says what to do when it cannot run: a port taken (web or the LINE stand-in),
another run going in the same folder; `make check-program` works; the sandbox CLI suggests
commands with the virtualenv's python."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import launcher
from sandbox.__main__ import command, show_inbox
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback port something listens on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _launch(redis_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "PUBLIC_BASE_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "sandbox.launcher"],
        cwd=ROOT,
        env={**base, "REDIS_URL": redis_url, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_taken_web_port_says_to_stop_it_or_set_port(redis_server, listening):
    line = _free_port()
    result = _launch(redis_server.url, PORT=str(listening),
                     LINE_API_BASE_URL=f"http://127.0.0.1:{line}")  # fmt: skip
    assert result.returncode == 2
    assert f"Port {listening} (the web process) is taken" in result.stderr
    suggested = re.search(r"PORT=(\d+) make run", result.stderr)
    assert suggested is not None
    assert not launcher.port_taken("127.0.0.1", int(suggested.group(1)))
    assert "Embedded Redis" not in result.stdout  # nothing was started


def test_a_taken_line_stand_in_port_says_to_set_line_api_base_url(redis_server, listening):
    result = _launch(redis_server.url, PORT=str(_free_port()),
                     LINE_API_BASE_URL=f"http://127.0.0.1:{listening}")  # fmt: skip
    assert result.returncode == 2
    assert f"Port {listening} (the sandbox's stand-in for LINE) is taken" in result.stderr
    assert re.search(r"LINE_API_BASE_URL=http://127\.0\.0\.1:\d+ make run", result.stderr)


def test_a_second_run_in_the_same_folder_says_another_is_going(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    lock = tmp_path / "run.lock"
    monkeypatch.setattr(launcher, "RUN_LOCK", lock)
    for name in ("REDIS_URL", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "PORT"):
        monkeypatch.delenv(name, raising=False)
    first = launcher.take_run_lock(lock)
    assert first is not None
    try:
        assert launcher.main() == 2
        err = capsys.readouterr().err
        assert "Another `make run` is already going in" in err
        assert f"(process {os.getpid()})" in err
    finally:
        first.close()
    # Once the first run ends, the lock is free again.
    again = launcher.take_run_lock(lock)
    assert again is not None
    again.close()


def test_make_check_program_validates_and_prints_the_program(tmp_path: Path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "flask").symlink_to(Path(sys.executable).parent / "flask")
    (venv / ".runtime").touch()  # installed: make goes straight to the check

    def make(*args: str) -> subprocess.CompletedProcess[str]:
        line = ["make", "-s", "-C", str(ROOT), "check-program", f"VENV={venv}", *args]
        return subprocess.run(line, capture_output=True, text=True, timeout=60, check=False)

    ok = make()
    assert ok.returncode == 0, ok.stderr
    assert "program.example.toml: ok" in ok.stdout
    assert "points: each grant lives 12 months" in ok.stdout
    typo = tmp_path / "p.toml"
    typo.write_text('[program]\nname = "x"\n[points]\nlife_time = "90d"\n')
    bad = make(f"PROGRAM={typo}")
    assert bad.returncode != 0
    assert "did you mean 'points.lifetime'?" in bad.stderr


def test_every_make_target_it_names_has_a_rule():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY: (.+)$", makefile, re.M).group(1).split()
    rules = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    assert set(phony) <= rules
    helped = subprocess.run(["make", "-s", "-C", str(ROOT), "help"], capture_output=True,
                            text=True, timeout=30, check=True).stdout  # fmt: skip
    for target in phony:
        assert f"make {target} " in helped


def test_the_sandbox_cli_suggests_commands_with_the_virtualenvs_python(
    monkeypatch: pytest.MonkeyPatch, fake_line, redis_server, capsys
):
    monkeypatch.chdir(ROOT)
    python = Path(sys.executable)
    expected = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    assert command() == f"{expected} -m sandbox"
    settings = make_settings(redis_server.url, fake_line.url)
    show_inbox(settings, "U" + "1" * 32)
    assert f"nothing yet; try: {expected} -m sandbox follow" in capsys.readouterr().out
