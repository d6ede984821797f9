"""``python -m richmenu``: the bot's environment, output, exit codes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from bot.config import DEFAULT_PROGRAM
from bot.store.staff import StaffRegistry
from richmenu.__main__ import main
from richmenu.build import DesiredMenu
from richmenu.model import DEFINITIONS_DIR
from sandbox.embedded_redis import EmbeddedRedis
from sandbox.fake_line import FakeLine
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, PUBLIC_BASE_URL

STAFF = "U" + "5" * 32


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, fake_line: FakeLine, redis_server: EmbeddedRedis, redis_client
) -> None:
    """The bot's environment, pointed at the fake LINE platform and the suite's Redis."""
    monkeypatch.setenv("LINE_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.setenv("LINE_API_BASE_URL", fake_line.url)
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("LOYALTY_PROGRAM", raising=False)


@pytest.mark.usefixtures("env")
def test_preview_writes_pngs_line_accepts(tmp_path: Path, capsys, menus) -> None:
    assert main(["preview", "--out", str(tmp_path)]) == 0

    written = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in written] == [
        "shopper-card.png",
        "shopper-rewards.png",
        "staff-main.png",
    ]
    for path in written:
        assert path.stat().st_size <= 1_000_000
        with Image.open(path) as image:
            assert image.size in ((2500, 1686), (2500, 843))
    assert f"wrote {tmp_path / 'staff-main.png'}  2500x843" in capsys.readouterr().out


@pytest.mark.usefixtures("env")
def test_deploy_twice_then_list_and_delete(
    capsys, fake_line: FakeLine, redis_client, menus: tuple[DesiredMenu, ...]
) -> None:
    StaffRegistry(redis_client).add(STAFF, "S001")

    assert main(["deploy"]) == 0
    first = capsys.readouterr().out
    assert f"LINE API: {fake_line.url}" in first
    assert "  create   " + menus[0].name in first
    assert f"link staff 1-1 of 1 to {menus[2].name}" in first
    assert STAFF not in first  # raw user ids are never printed
    assert fake_line.user_rich_menus()[STAFF]

    assert main(["deploy"]) == 0
    assert "Nothing to do" in capsys.readouterr().out

    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "[default, alias loyalty-shopper-a]" in listing
    assert "3 rich menu(s)" in listing

    staff_menu = fake_line.user_rich_menus()[STAFF]
    assert main(["delete", staff_menu]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "deleted alias loyalty-staff",
        f"deleted {staff_menu}",
    ]
    assert main(["delete", "--all-managed", "--yes"]) == 0
    assert main(["list"]) == 0
    assert capsys.readouterr().out.endswith("No rich menus.\n")


@pytest.mark.usefixtures("env")
def test_dry_run_exit_code_and_output(capsys, fake_line: FakeLine) -> None:
    assert main(["deploy", "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "Dry run: nothing changed."
    assert not [r for r in fake_line.recorded() if r.method == "DELETE"]


@pytest.mark.usefixtures("env")
def test_line_failure_exits_1_with_the_reason(capsys, fake_line: FakeLine) -> None:
    fake_line.fail_next("/v2/bot/richmenu/list", 401)

    assert main(["deploy"]) == 1

    err = capsys.readouterr().err
    assert "could not read the rich menus from LINE: LINE answered HTTP 401" in err
    assert "Check LINE_CHANNEL_ACCESS_TOKEN" in err


@pytest.mark.usefixtures("env")
def test_bad_settings_and_definitions_exit_2(
    capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "broken.toml").write_text('menu = "x"\n')
    assert main(["--definitions", str(tmp_path), "preview"]) == 2
    assert "broken.toml: size is missing" in capsys.readouterr().err

    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN")
    assert main(["list"]) == 2
    assert "LINE_CHANNEL_ACCESS_TOKEN: missing" in capsys.readouterr().err


@pytest.mark.usefixtures("env")
def test_a_typo_in_an_action_stops_preview_naming_the_button(capsys, tmp_path: Path) -> None:
    staff = (DEFINITIONS_DIR / "staff.toml").read_text(encoding="utf-8")
    (tmp_path / "staff.toml").write_text(staff.replace("action=staff_undo", "action=staff_udno"))
    shutil.copy(DEFINITIONS_DIR / "shopper.toml", tmp_path)

    assert main(["--definitions", str(tmp_path), "preview", "--out", str(tmp_path)]) == 2

    err = capsys.readouterr().err
    assert "the rich menus fail their checks (nothing was sent to LINE):" in err
    assert (
        "staff-main: button '取り消し': data 'action=staff_udno' is not a postback the bot "
        "serves: action 'staff_udno' is not one the bot knows"
    ) in err
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("command", [["preview", "--out", "OUT"], ["deploy"]])
def test_a_pale_accent_stops_preview_and_deploy_naming_the_colour(
    capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_line: FakeLine, command
) -> None:
    example = DEFAULT_PROGRAM.read_text(encoding="utf-8")
    program = tmp_path / "program.toml"
    program.write_text(example.replace('accent = "#1E1E1E"', 'accent = "#F2C94C"'))
    shutil.copy(DEFAULT_PROGRAM.parent / "logo.png", tmp_path)
    monkeypatch.setenv("LOYALTY_PROGRAM", str(program))
    out = tmp_path / "out"

    assert main([str(out) if arg == "OUT" else arg for arg in command]) == 2

    err = capsys.readouterr().err
    assert (
        "button labels: card.accent #F2C94C on card.foreground #FFFFFF has a contrast of "
        "1.58:1; WCAG AA needs 4.5:1"
    ) in err
    assert not out.exists()
    assert fake_line.recorded() == []


def test_bad_usage_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["delete"])
    assert excinfo.value.code == 2
    assert "one of the arguments MENU_ID --all-managed is required" in capsys.readouterr().err


class _Terminal(io.StringIO):
    """Standard input that is a terminal, with the user's answers already typed."""

    def isatty(self) -> bool:
        return True


def _deleted(fake_line: FakeLine) -> list[str]:
    return [r.path for r in fake_line.recorded() if r.method == "DELETE"]


@pytest.mark.usefixtures("env")
def test_delete_all_managed_refuses_without_a_terminal_or_yes(
    capsys, monkeypatch: pytest.MonkeyPatch, fake_line: FakeLine
) -> None:
    assert main(["deploy"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped: nobody is asked

    assert main(["delete", "--all-managed"]) == 2

    captured = capsys.readouterr()
    assert "standard input is not a terminal" in captured.err
    assert "--yes" in captured.err
    assert "Nothing was deleted." in captured.err
    assert _deleted(fake_line) == []
    assert main(["list"]) == 0
    assert "3 rich menu(s)" in capsys.readouterr().out


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("answer", ["n\n", "\n", "yes please\n", ""])
def test_delete_all_managed_deletes_nothing_unless_the_answer_is_yes(
    capsys, monkeypatch: pytest.MonkeyPatch, fake_line: FakeLine, answer: str
) -> None:
    assert main(["deploy"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", _Terminal(answer))

    assert main(["delete", "--all-managed"]) == 1

    out = capsys.readouterr().out
    assert "  alias loyalty-staff" in out
    assert "Delete these 3 rich menu(s) and 3 alias(es) from LINE?" in out
    assert out.endswith("Nothing was deleted.\n")
    assert _deleted(fake_line) == []


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("answer", ["y\n", "YES\n"])
def test_delete_all_managed_deletes_once_confirmed(
    capsys, monkeypatch: pytest.MonkeyPatch, fake_line: FakeLine, answer: str
) -> None:
    assert main(["deploy"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", _Terminal(answer))

    assert main(["delete", "--all-managed"]) == 0

    assert "deleted alias loyalty-staff" in capsys.readouterr().out
    assert main(["list"]) == 0
    assert capsys.readouterr().out.endswith("No rich menus.\n")


@pytest.mark.usefixtures("env")
def test_delete_all_managed_with_nothing_to_delete_asks_nothing(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(""))

    assert main(["delete", "--all-managed"]) == 0

    assert capsys.readouterr().out == "No rich menus managed by this tool.\n"
