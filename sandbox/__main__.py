"""``python -m sandbox``: act as a shopper or a till against the running sandbox bot."""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bot.config import Settings, SettingsError
from bot.messages.postbacks import PREFIX
from bot.operations.cards import CardCodes
from bot.store.ledger import Ledger
from bot.store.redis_store import LoyaltyStore, connect
from bot.store.tickets import TicketBook
from sandbox import chat_events

#: The sandbox shopper's LINE user id (any U + 32 hex digits works).
SHOPPER = "U" + hashlib.sha256(b"sandbox-shopper").hexdigest()[:32]


def command() -> str:
    """This tool's command line as it can be pasted: the virtualenv's python that runs it
    (relative to the current folder when inside it, as ``.venv/bin/python``), not whatever
    ``python`` the shell finds first."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = str(python)
    return f"{shown} -m sandbox"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except urllib.error.URLError as exc:
        raise SystemExit(f"cannot reach {url} ({exc.reason}): is `make run` running?") from None


def _reply_token(settings: Settings, user: str) -> str:
    """A reply token from the LINE stand-in, so the reply shows in this shopper's inbox."""
    status, text = _post(
        f"{settings.line_api_base_url}/_sandbox/reply-tokens",
        json.dumps({"userId": user}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        raise SystemExit(f"the sandbox LINE stand-in refused: {status} {text}")
    return json.loads(text)["replyToken"]


def send_event(settings: Settings, bot_url: str, event: dict[str, Any]) -> int:
    """Sign and POST one event to the bot's webhook, as LINE would."""
    if "replyToken" in event:
        event["replyToken"] = _reply_token(settings, event["source"]["userId"])
    raw, signature = chat_events.signed_body(settings.channel_secret, event)
    status, _ = _post(
        f"{bot_url}/callback",
        raw,
        {"Content-Type": "application/json", "X-Line-Signature": signature},
    )
    print(f"webhook answered {status}")
    return 0 if status == 200 else 1


def show_inbox(settings: Settings, user: str, last: int = 10) -> int:
    """Print the ``last`` messages the shopper received (0: all of them), newest last."""
    url = f"{settings.line_api_base_url}/_sandbox/inbox/{user}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            entries = json.load(response)["messages"]
    except urllib.error.URLError as exc:
        raise SystemExit(f"cannot reach {url} ({exc.reason}): is `make run` running?") from None
    shown = entries[-last:] if last else entries
    if len(shown) < len(entries):
        print(f"({len(entries) - len(shown)} older messages not shown; --last 0 shows all)")
    for entry in shown:
        message = entry["message"]
        summary = message.get("text") or message.get("altText") or message["type"]
        print(f"[{entry['at']}] via {entry['via']}: {summary}")
        hero = message.get("contents", {}).get("hero", {})
        if hero.get("url"):
            print(f"    image: {hero['url']}")
        who = "" if user == SHOPPER else f" --user {user}"
        for data in _postbacks(message):
            print(f"    button: {command()}{who} tap '{data.removeprefix(PREFIX)}'")
    if not entries:
        print(f"nothing yet; try: {command()} follow")
    print(f"(messages to {user}; the page at {settings.public_base_url}/_sandbox/ draws them)")
    return 0


def set_profile(settings: Settings, user: str, name: str, language: str) -> None:
    """Make the LINE stand-in answer this profile for the user (display name, language)."""
    status, text = _post(
        f"{settings.line_api_base_url}/_sandbox/profiles",
        json.dumps({"userId": user, "displayName": name, "language": language}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        raise SystemExit(f"the sandbox LINE stand-in refused the profile: {status} {text}")


def upload_photo(settings: Settings, path: Path) -> str:
    """Put a photo on the LINE stand-in as a user's image message; return its message id."""
    kind = mimetypes.guess_type(path.name)[0]
    if kind not in ("image/jpeg", "image/png"):
        raise SystemExit(f"{path}: send a .jpg or .png photo")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SystemExit(f"{path}: {exc.strerror}") from None
    status, text = _post(
        f"{settings.line_api_base_url}/_sandbox/contents", data, {"Content-Type": kind}
    )
    if status != 200:
        raise SystemExit(f"the sandbox LINE stand-in refused the photo: {status} {text}")
    return json.loads(text)["messageId"]


def _postbacks(node: Any) -> list[str]:
    """The postback data of every button in a message, in order."""
    if isinstance(node, dict):
        action = node.get("action")
        own = [action["data"]] if isinstance(action, dict) and "data" in action else []
        return own + [d for key, v in node.items() if key != "action" for d in _postbacks(v)]
    if isinstance(node, list):
        return [d for v in node for d in _postbacks(v)]
    return []


def current_code(settings: Settings, user: str) -> str | None:
    """The code the shopper's card shows now, or None without a card."""
    store = LoyaltyStore(connect(settings.redis_url))
    member = store.member_for_user(user)
    if member is None:
        return None
    return (
        CardCodes(store, settings.program, settings.secret_key)
        .current(member, int(time.time()))
        .value
    )


def buy(settings: Settings, bot_url: str, args: argparse.Namespace) -> int:
    """POST a purchase to the POS API with the code the shopper's card shows now."""
    card = args.card or current_code(settings, args.user)
    if card is None:
        print(f"the sandbox shopper has no card yet; run: {command()} follow")
        return 1
    body = {
        "transaction_id": args.transaction_id or f"SBX-{secrets.token_hex(4)}",
        "card_code": card,
        "amount": args.amount,
        "points_used": args.points_used,
    }
    status, text = _post(
        f"{bot_url}/api/v1/transactions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {args.key}"},
    )
    print(status, text)
    return 0 if status in (200, 201) else 1


def first_ticket(settings: Settings, user: str) -> str | None:
    """The code of the shopper's usable ticket that expires first, or None."""
    client = connect(settings.redis_url)
    member = LoyaltyStore(client).member_for_user(user)
    if member is None:
        return None
    now = int(time.time())
    tickets = TicketBook(Ledger(client, settings.program)).tickets(member.member_id)
    usable = sorted((t for t in tickets if t.usable(now)), key=lambda t: t.expires_at)
    return usable[0].code if usable else None


def redeem(settings: Settings, bot_url: str, args: argparse.Namespace) -> int:
    """POST a ticket's use to the POS API (default: the shopper's ticket expiring first)."""
    ticket = args.ticket or first_ticket(settings, args.user)
    if ticket is None:
        print("the sandbox shopper has no ticket to use; exchange points under 特典 first")
        return 1
    body = {
        "transaction_id": args.transaction_id or f"SBX-{secrets.token_hex(4)}",
        "ticket_code": ticket,
    }
    status, text = _post(
        f"{bot_url}/api/v1/tickets/redeem",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {args.key}"},
    )
    print(status, text)
    return 0 if status in (200, 201) else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and act."""
    parser = argparse.ArgumentParser(prog=command(), description=__doc__)
    parser.add_argument("--bot", help="the bot's base URL (default: PUBLIC_BASE_URL)")
    parser.add_argument("--user", default=SHOPPER, help="the shopper's LINE user id")
    commands = parser.add_subparsers(dest="command", required=True)
    friend = commands.add_parser("follow", help="add the bot as a friend")
    friend.add_argument("--name", help="the LINE display name (default: Sandbox shopper)")
    friend.add_argument("--lang", default="ja", help="the LINE profile language (ja, en)")
    commands.add_parser("unfollow", help="block the bot")
    tap = commands.add_parser("tap", help="tap a postback action, e.g. card")
    tap.add_argument("action")
    say = commands.add_parser("say", help="send a text message, e.g. 会員証")
    say.add_argument("text")
    inbox = commands.add_parser("inbox", help="show what the shopper received")
    inbox.add_argument(
        "--last", type=int, default=10, metavar="N", help="the last N messages (0: all)"
    )
    photo = commands.add_parser("photo", help="send a photo, e.g. of a card for the staff scan")
    photo.add_argument("path", type=Path, help="a .jpg or .png file")
    commands.add_parser("code", help="print the code the shopper's card shows now")
    purchase = commands.add_parser("buy", help="a till records a purchase")
    purchase.add_argument("--key", required=True, help="the store's POS API key")
    purchase.add_argument("--amount", type=int, required=True, help="JPY, tax included")
    purchase.add_argument("--points-used", type=int, default=0)
    purchase.add_argument("--card", help="card code (default: the sandbox shopper's)")
    purchase.add_argument("--transaction-id")
    use = commands.add_parser("redeem", help="a till uses a reward ticket")
    use.add_argument("--key", required=True, help="the store's POS API key")
    use.add_argument("--ticket", help="ticket code (default: the shopper's expiring first)")
    use.add_argument("--transaction-id")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not settings.sandbox:
        print("LINE credentials are set: this tool only talks to the sandbox", file=sys.stderr)
        return 2
    args.bot = (args.bot or settings.public_base_url).rstrip("/")
    if args.command == "code":
        code = current_code(settings, args.user)
        print(code or f"the sandbox shopper has no card yet; run: {command()} follow")
        return 0 if code else 1
    if args.command == "inbox":
        return show_inbox(settings, args.user, max(args.last, 0))
    if args.command == "follow" and (args.name or args.lang != "ja"):
        set_profile(settings, args.user, args.name or "Sandbox shopper", args.lang)
    if args.command == "buy":
        return buy(settings, args.bot, args)
    if args.command == "redeem":
        return redeem(settings, args.bot, args)
    event = {
        "follow": lambda: chat_events.follow(args.user),
        "unfollow": lambda: chat_events.unfollow(args.user),
        "tap": lambda: chat_events.postback(args.user, PREFIX + args.action),
        "say": lambda: chat_events.text(args.user, args.text),
        "photo": lambda: chat_events.image(args.user, upload_photo(settings, args.path)),
    }[args.command]()
    return send_event(settings, args.bot, event)


if __name__ == "__main__":
    sys.exit(main())
