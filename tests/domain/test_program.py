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


_REWARD = {"key": "coffee", "name": "コーヒー", "cost": 50, "valid": "30d"}


def _with(**sections) -> dict:
    return {"program": {"name": "店"}, **sections}


def test_rewards_and_goals_are_read():
    program = parse_program(
        _with(
            rewards=[_REWARD, {"key": "gift", "name": "ギフト", "valid": "10s", "stock": 5}],
            goals=[{"rank": "gold", "reward": "gift"}],
            ranks={
                "tiers": [
                    {"key": "regular", "name": "R", "threshold": 0},
                    {"key": "gold", "name": "G", "threshold": 100},
                ]
            },
        )
    )
    coffee, gift = program.rewards
    assert (coffee.cost, coffee.valid.seconds, coffee.stock, coffee.name_en) == (
        50,
        30 * 86400,
        None,
        "コーヒー",
    )
    assert (gift.cost, gift.valid.seconds, gift.stock) == (None, 10, 5)
    [goal] = program.goals
    assert goal.goal_id == "rank:gold:gift"
    assert program.rank_goals("gold") == (goal,)
    assert program.reward("nope") is None


@pytest.mark.parametrize(
    ("rewards", "goals", "expected"),
    [
        ([{**_REWARD, "cost": 0}], [], "rewards[0].cost = 0 must be an integer from 1 to"),
        ([{**_REWARD, "cost": "50"}], [], "rewards[0].cost = '50' must be an integer"),
        ([{**_REWARD, "stock": -1}], [], "rewards[0].stock = -1 must be an integer >= 0"),
        ([{**_REWARD, "valid": "30x"}], [], "rewards[0].valid = '30x'"),
        ([{**_REWARD, "key": "Coffee!"}], [], "rewards[0].key = 'Coffee!' must be 1-32"),
        ([{**_REWARD, "name": "x" * 41}], [], "rewards[0].name must be at most 40"),
        ([_REWARD, _REWARD], [], "rewards keys must be unique"),
        ([{**_REWARD, "image": "none.png"}], [], "rewards[0].image = 'none.png': no such file"),
        ([_REWARD], [{"rank": "gold", "reward": "tea"}], "goals[0].reward = 'tea' is not a key"),
        ([_REWARD], [{"reward": "coffee"}], "goals[0] needs one of visits = N, rank = KEY"),
        ([_REWARD], [{"rank": "platinum", "reward": "coffee"}], "goals[0].rank = 'platinum'"),
        ([_REWARD], [{"rank": "regular", "reward": "coffee"}], "is the first rank"),
        ([_REWARD], [{"visits": 0, "reward": "coffee"}], "goals[0].visits = 0 must be"),
        (
            [_REWARD],
            [{"visits": 3, "reward": "coffee"}, {"visits": 3, "reward": "coffee"}],
            "goals must not repeat",
        ),
        (["coffee"], [], "rewards[0] must be a table"),
    ],
)
def test_bad_rewards_and_goals_name_the_key(rewards, goals, expected):
    with pytest.raises(ProgramError) as raised:
        parse_program(_with(rewards=rewards, goals=goals))
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"earn": {"per_jpy": 200}}, "unknown key 'earn.per_jpy': did you mean 'earn.per_yen'?"),
        (
            {"points": {"life_time": "90d"}},
            "unknown key 'points.life_time': did you mean 'points.lifetime'?",
        ),
        ({"earning": {"points": 2}}, "unknown section 'earning': did you mean 'earn'?"),
        ({"earn": {"bonus": 5}}, "unknown key 'earn.bonus'; known here: points, per_yen"),
        ({"card": {"Accent": "#111111"}}, "did you mean 'card.accent'?"),
        (
            {"card": {"lifetime": "90d"}},
            "unknown key 'card.lifetime': lifetime belongs in [points]",
        ),
        ({"reminders": {"offset": ["7d"]}}, "did you mean 'reminders.offsets'?"),
        ({"visits": {"point": 2}}, "did you mean 'visits.points'?"),
        ({"messages": {"optin": True}}, "did you mean 'messages.opt_in'?"),
        (
            {"ranks": {"tiers": [{"key": "r", "name": "R", "colour": "#111111"}]}},
            "unknown key 'ranks.tiers[0].colour': did you mean 'ranks.tiers[0].color'?",
        ),
        (
            {"rewards": [{**_REWARD, "costs": 50}]},
            "unknown key 'rewards[0].costs': did you mean 'rewards[0].cost'?",
        ),
        (
            {"rewards": [_REWARD], "goals": [{"reward": "coffee", "visit": 3}]},
            "unknown key 'goals[0].visit': did you mean 'goals[0].visits'?",
        ),
        ({"earn": [{"points": 1}]}, "earn must be a table ([earn])"),
    ],
)
def test_unknown_sections_and_keys_name_the_nearest_known_key(raw, expected):
    with pytest.raises(ProgramError) as caught:
        parse_program(_with(**raw))
    assert any(expected in p for p in caught.value.problems), caught.value.problems


def test_every_known_key_is_accepted_including_visits_and_the_english_store_name():
    program = parse_program(
        _with(
            card={"store_name": "さくらマート", "store_name_en": "Sakura Mart"},
            visits={"points": 2, "monthly_cap": 8, "code_window": "30s"},
            rewards=[{**_REWARD, "name_en": "Coffee", "stock": 3}],
            goals=[{"reward": "coffee", "visits": 5}],
        )
    )
    assert program.card.store_label("en") == "Sakura Mart"
    assert program.card.store_label("ja") == "さくらマート"
    # Without store_name_en, English profiles read the store name as it is.
    plain = parse_program(_with(card={"store_name": "さくらマート"}))
    assert plain.card.store_label("en") == "さくらマート"


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ({"history_retention": "2y"}, "points.history_retention = '2y' must be a positive"),
        ({"history_retention": 730}, "points.history_retention = 730 must be a positive"),
        ({"history_retention": "30d"}, "points.history_retention = '30d' must be at least "
                                       "points.lifetime ('365d')"),
        ({"lifetime": "36mo"}, "points.history_retention = '24mo' must be at least "
                               "points.lifetime ('36mo')"),
        ({"history_rentention": "24mo"}, "did you mean 'points.history_retention'?"),
    ],
)  # fmt: skip
def test_history_retention_errors_name_the_key(points, expected):
    with pytest.raises(ProgramError) as caught:
        parse_program({"program": {"name": "x"}, "points": points})
    assert any(expected in p for p in caught.value.problems), caught.value.problems


def test_history_is_kept_two_years_by_default_and_as_long_as_the_file_says():
    assert parse_program({"program": {"name": "x"}}).points.history_retention.months == 24
    tuned = parse_program(
        {"program": {"name": "x"}, "points": {"lifetime": "30s", "history_retention": "90s"}}
    )
    assert tuned.points.history_retention.seconds == 90
