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


def test_card_codes_rotate_every_five_minutes_by_default():
    program = parse_program({"program": {"name": "x"}})
    assert (program.code_mode, program.code_window, program.number_prefix) == (
        "rotating",
        300,
        "29",
    )
    assert program.card.logo is None
    bundled = load_program(DEFAULT_PROGRAM)
    assert bundled.code_mode == "rotating"
    assert bundled.card.logo is not None
    assert bundled.card.logo.is_file()


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        ({"code_window": "30s"}, "card.code_window = '30s' must be from '1m' to '24h'"),
        ({"code_window": "2d"}, "card.code_window = '2d'"),
        ({"code_window": "1mo"}, "card.code_window = '1mo'"),
        ({"code_window": 5}, "card.code_window = 5"),
        ({"number_prefix": "49"}, "card.number_prefix = '49'"),
        ({"number_prefix": 29}, "card.number_prefix = 29"),
        ({"logo": "missing.png"}, "card.logo = 'missing.png': no such file"),
        ({"logo": "program.toml"}, "card.logo = 'program.toml' must be a PNG or JPEG"),
    ],
)
def test_card_settings_are_validated(tmp_path: Path, card, expected):
    (tmp_path / "program.toml").write_text("not an image")
    with pytest.raises(ProgramError) as caught:
        parse_program({"program": {"name": "x"}, "card": card}, base=tmp_path)
    assert any(expected in p for p in caught.value.problems), caught.value.problems


def test_static_codes_with_another_prefix_and_a_logo_beside_the_file(tmp_path: Path):
    (tmp_path / "logo.png").write_bytes((DEFAULT_PROGRAM.parent / "logo.png").read_bytes())
    (tmp_path / "p.toml").write_text(
        '[program]\nname = "x"\n[card]\ncode_mode = "static"\ncode_window = "90s"\n'
        'number_prefix = "21"\nlogo = "logo.png"\n'
    )
    program = load_program(tmp_path / "p.toml")
    assert (program.code_mode, program.code_window, program.number_prefix) == ("static", 90, "21")
    assert program.card.logo == tmp_path / "logo.png"
