"""The program file: the bundled example is valid; errors name the key and the bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_PROGRAM
from bot.domain.program import ProgramError, load_program, parse_program


def test_bundled_example_is_valid():
    program = load_program(DEFAULT_PROGRAM)
    assert program.timezone.key == "Asia/Tokyo"
    assert program.earn.per_yen == 100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"program": {}}, "program.name is missing"),
        ({"program": {"name": "x", "timezone": "Mars/Base"}}, "program.timezone = 'Mars/Base'"),
        ({"program": {"name": "x"}, "earn": {"per_yen": 0}}, "earn.per_yen = 0"),
        ({"program": {"name": "x"}, "earn": {"points": "1"}}, "earn.points = '1'"),
        ({"program": {"name": "x"}, "earn": {"rounding": "up"}}, "earn.rounding = 'up'"),
        ({"program": {"name": "x"}, "card": {"background": "green"}}, "card.background = 'green'"),
        ({"program": {"name": "x"}, "card": {"code_mode": "qr"}}, "card.code_mode = 'qr'"),
    ],
)
def test_errors_name_the_key_and_value(raw, expected):
    with pytest.raises(ProgramError) as caught:
        parse_program(raw)
    assert any(expected in p for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once():
    with pytest.raises(ProgramError) as caught:
        parse_program({"program": {"name": ""}, "earn": {"per_yen": -1, "rounding": 3}})
    assert len(caught.value.problems) == 3


def test_unreadable_files_are_clear(tmp_path: Path):
    with pytest.raises(ProgramError, match="no such file"):
        load_program(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[program\nname=")
    with pytest.raises(ProgramError, match="not valid TOML"):
        load_program(bad)
