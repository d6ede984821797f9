"""``python -m richmenu preview|deploy|list|delete``: exit 0 ok, 1 failure (or a deletion
not confirmed), 2 bad usage/config."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import redis

from bot.config import VAR_DIR, Settings, SettingsError
from bot.line.client import LineClient
from bot.store.redis_store import connect
from bot.store.staff import StaffRegistry
from richmenu.build import DesiredMenu, build_menus
from richmenu.deploy import DEFAULT_MAX_CREATES, DeployOptions, deploy
from richmenu.errors import RichMenuError
from richmenu.line_ops import RichMenuApi
from richmenu.manage import delete_managed, delete_menu, list_menus
from richmenu.model import DEFINITIONS_DIR, DefinitionError, load_definitions
from richmenu.validate import InvalidMenuError

#: Where ``preview`` writes the images unless told otherwise (var/ is not committed).
PREVIEW_DIR = VAR_DIR / "richmenu-preview"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return args.run(args, settings)
    except SettingsError as exc:
        return _fail(EXIT_USAGE, "invalid settings:", exc.problems)
    except DefinitionError as exc:
        return _fail(
            EXIT_USAGE, f"invalid rich menu definitions in {args.definitions}:", exc.problems
        )
    except InvalidMenuError as exc:
        return _fail(
            EXIT_USAGE, "the rich menus fail their checks (nothing was sent to LINE):", exc.problems
        )
    except RichMenuError as exc:
        return _fail(EXIT_FAILED, f"error: {exc}", [])


def _parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per job."""
    parser = argparse.ArgumentParser(
        prog="python -m richmenu",
        description="Design, preview and deploy the LINE rich menus of the loyalty bot. "
        "Reads the same environment as the bot (LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL, "
        "REDIS_URL, LOYALTY_PROGRAM).",
    )
    parser.add_argument(
        "--definitions",
        type=Path,
        default=DEFINITIONS_DIR,
        metavar="DIR",
        help="the *.toml rich menu definitions (default: richmenu/definitions)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    preview = commands.add_parser("preview", help="render the menus to PNG files to look at")
    preview.add_argument("--out", type=Path, default=PREVIEW_DIR, metavar="DIR")
    preview.set_defaults(run=_preview)

    deploy_ = commands.add_parser(
        "deploy", help="check, plan and make LINE hold exactly these menus (safe to rerun)"
    )
    deploy_.add_argument("--dry-run", action="store_true", help="stop after printing the plan")
    deploy_.add_argument(
        "--max-creates",
        type=int,
        default=DEFAULT_MAX_CREATES,
        metavar="N",
        help=f"refuse a plan creating more than N menus (default {DEFAULT_MAX_CREATES}; "
        "LINE allows 100 per hour)",
    )
    deploy_.add_argument(
        "--relink-staff",
        action="store_true",
        help="link every registered staff member to the staff menu even if nothing changed",
    )
    deploy_.set_defaults(run=_deploy)

    list_ = commands.add_parser("list", help="list the rich menus on LINE")
    list_.set_defaults(run=_list)

    delete = commands.add_parser("delete", help="delete a rich menu, or all managed ones")
    which = delete.add_mutually_exclusive_group(required=True)
    which.add_argument("menu_id", nargs="?", metavar="MENU_ID", help="e.g. richmenu-0123...")
    which.add_argument(
        "--all-managed",
        action="store_true",
        help="delete every menu and alias this tool created (names loyalty:..., loyalty-...); "
        "lists them and asks first",
    )
    delete.add_argument(
        "--yes", action="store_true", help="with --all-managed: delete without asking"
    )
    delete.set_defaults(run=_delete)
    return parser


def _preview(args: argparse.Namespace, settings: Settings) -> int:
    """Write one PNG per page, checked like deploy checks them."""
    menus = _menus(args.definitions, settings)
    args.out.mkdir(parents=True, exist_ok=True)
    for menu in menus:
        path = args.out / f"{menu.key}.png"
        path.write_bytes(menu.image)
        _say(f"wrote {path}  {menu.page.width}x{menu.page.height}, {len(menu.image):,} bytes")
    return EXIT_OK


def _deploy(args: argparse.Namespace, settings: Settings) -> int:
    """Check locally, then plan and apply against LINE."""
    menus = _menus(args.definitions, settings)
    _say(f"LINE API: {settings.line_api_base_url or 'https://api.line.me (LINE)'}")
    options = DeployOptions(
        dry_run=args.dry_run, max_creates=args.max_creates, relink_staff=args.relink_staff
    )
    with contextlib.closing(connect(settings.redis_url)) as client, _line(settings) as api:
        deploy(api, menus, _staff_ids(StaffRegistry(client)), options, _say)
    return EXIT_OK


def _list(args: argparse.Namespace, settings: Settings) -> int:
    """Print the rich menus on LINE."""
    with _line(settings) as api:
        list_menus(api, _say)
    return EXIT_OK


def _delete(args: argparse.Namespace, settings: Settings) -> int:
    """Delete one menu by id, or (once confirmed) every managed menu and alias."""
    if args.all_managed and not args.yes and not (sys.stdin and sys.stdin.isatty()):
        # Nobody can answer: a script must say --yes rather than be taken at its word.
        return _fail(
            EXIT_USAGE,
            "refusing to delete every managed rich menu without confirmation: standard input "
            "is not a terminal. Run it in a terminal, or add --yes. Nothing was deleted.",
            [],
        )
    with _line(settings) as api:
        if not args.all_managed:
            delete_menu(api, args.menu_id, _say)
        elif delete_managed(api, _say, confirm=None if args.yes else _ask) is None:
            _say("Nothing was deleted.")
            return EXIT_FAILED
    return EXIT_OK


def _menus(definitions: Path, settings: Settings) -> tuple[DesiredMenu, ...]:
    """Load, check and render the definitions with the program's colours."""
    pages = load_definitions(definitions)
    menus = build_menus(pages, settings.program.card)
    largest = max(len(menu.image) for menu in menus)
    _say(
        f"{len(menus)} page(s) from {definitions}: {', '.join(m.key for m in menus)}; "
        "checked locally (sizes, areas, actions, labels, label contrast, images up to "
        f"{largest:,} bytes)"
    )
    return menus


def _staff_ids(registry: StaffRegistry) -> Callable[[], list[str]]:
    """Read the staff's LINE user ids when the plan needs them."""

    def read() -> list[str]:
        try:
            return [member.line_user_id for member in registry.list()]
        except redis.RedisError as exc:
            raise RichMenuError(
                f"cannot read the staff list from Redis ({exc}); nothing was changed. "
                "Check REDIS_URL (or start the bot for its embedded Redis)."
            ) from None

    return read


@contextlib.contextmanager
def _line(settings: Settings) -> Iterator[RichMenuApi]:
    """Rich menu calls on the bot's LINE client (same credentials and LINE_API_BASE_URL)."""
    client = LineClient(settings.channel_access_token, settings.line_api_base_url)
    try:
        yield RichMenuApi(client.api)
    finally:
        client.close()


def _say(line: str) -> None:
    """Progress output, flushed at once so a slow step shows what it is waiting for."""
    print(line, flush=True)


def _ask(question: str) -> bool:
    """Ask a yes/no question on the terminal; only 'y' or 'yes' is a yes."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _fail(code: int, headline: str, problems: list[str]) -> int:
    """Report a failure on stderr and return its exit code."""
    print(headline, file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
