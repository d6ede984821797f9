"""The LINE stand-in's own /_sandbox/ endpoints: what the LINE app knows and does (the inbox,
profiles, a photo sent, the rich menu a user sees, a tab tapped), with the real SDK on the
LINE side of each."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    CreateRichMenuAliasRequest,
    MessagingApi,
    MessagingApiBlob,
    PostbackAction,
    PushMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    TextMessage,
)

from sandbox.fake_line import FakeLine

USER = "U" + "3" * 32
OTHER = "U" + "4" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def fake() -> Iterator[FakeLine]:
    with FakeLine() as server:
        yield server


@pytest.fixture
def client(fake: FakeLine) -> Iterator[ApiClient]:
    api_client = ApiClient(Configuration(host=fake.url, access_token="sandbox"))
    with api_client:
        yield api_client
    api_client.rest_client.pool_manager.clear()


def _call(
    fake: FakeLine, path: str, body: Any = None, content_type: str = "application/json"
) -> tuple[int, Any, bytes]:
    """POST (with a body) or GET a path; status, JSON (or None) and the raw answer."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        fake.url + path, data=data, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            raw, status, kind = response.read(), response.status, response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        with error:
            raw, status, kind = error.read(), error.code, error.headers["Content-Type"]
    return status, json.loads(raw) if kind == "application/json" else None, raw


def _push(client: ApiClient, to: str, text: str) -> None:
    MessagingApi(client).push_message(
        PushMessageRequest(to=to, messages=[TextMessage(text=text)]), x_line_retry_key=None
    )


def test_inbox_numbers_messages_and_answers_only_the_newer_ones(fake, client):
    for text in ("one", "two", "three"):
        _push(client, USER, text)
    _push(client, OTHER, "other")
    status, everything, _ = _call(fake, "/_sandbox/inbox")
    assert status == 200
    assert [m["seq"] for m in everything["messages"]] == [1, 2, 3, 4]
    assert everything["newest"] == 4
    _, newer, _ = _call(fake, f"/_sandbox/inbox/{USER}?after=1")
    assert [m["message"]["text"] for m in newer["messages"]] == ["two", "three"]
    assert newer["newest"] == 4
    fake.reset()
    _, after_restart, _ = _call(fake, "/_sandbox/inbox?after=4")
    assert after_restart == {"messages": [], "newest": 0}


@pytest.mark.parametrize("after", ["-1", "x", "1e3", "9" * 19])
def test_inbox_refuses_an_after_that_is_not_a_count(fake, after):
    status, body, _ = _call(fake, f"/_sandbox/inbox?after={after}")
    assert status == 400
    assert body["details"][0]["property"] == "after"


def test_a_profile_set_here_is_what_the_api_answers(fake, client):
    status, _, _ = _call(
        fake, "/_sandbox/profiles", {"userId": USER, "displayName": "Emma", "language": "en"}
    )
    assert status == 200
    profile = MessagingApi(client).get_profile(USER)
    assert (profile.display_name, profile.language) == ("Emma", "en")


@pytest.mark.parametrize(
    ("body", "wrong"),
    [
        ({"userId": "U123", "displayName": "A"}, "/userId"),
        ({"userId": USER, "displayName": ""}, "/displayName"),
        ({"userId": USER, "displayName": "A" * 201}, "/displayName"),
        ({"userId": USER, "displayName": "A", "language": 7}, "/language"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field(fake, body, wrong):
    status, answer, _ = _call(fake, "/_sandbox/profiles", body)
    assert status == 400
    assert [d["property"] for d in answer["details"]] == [wrong]


def test_a_photo_sent_is_the_content_the_bot_downloads(fake, client):
    status, answer, _ = _call(fake, "/_sandbox/contents", PNG, "image/png")
    assert status == 200
    assert bytes(MessagingApiBlob(client).get_message_content(answer["messageId"])) == PNG
    assert _call(fake, "/_sandbox/contents", b"GIF89a", "image/gif")[0] == 415
    assert _call(fake, "/_sandbox/contents", b"", "image/png")[0] == 400


def _menu(client: ApiClient, name: str) -> str:
    api = MessagingApi(client)
    menu_id = api.create_rich_menu(
        RichMenuRequest(
            size=RichMenuSize(width=2500, height=843),
            selected=True,
            name=name,
            chat_bar_text=name,
            areas=[
                RichMenuArea(
                    bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
                    action=PostbackAction(data="x=1"),
                )
            ],
        )
    ).rich_menu_id
    MessagingApiBlob(client).set_rich_menu_image(
        menu_id, body=PNG, _headers={"Content-Type": "image/png"}
    )
    return menu_id


def test_the_menu_a_user_sees_follows_lines_display_priority(fake, client):
    assert _call(fake, f"/_sandbox/richmenu/{USER}")[0] == 404
    api = MessagingApi(client)
    default, own = _menu(client, "default"), _menu(client, "own")
    api.set_default_rich_menu(default)
    status, seen, _ = _call(fake, f"/_sandbox/richmenu/{USER}")
    assert status == 200
    assert (seen["richMenuId"], seen["source"], seen["chatBarText"]) == (
        default,
        "default",
        "default",
    )
    api.link_rich_menu_id_to_user(USER, own)
    _, seen, _ = _call(fake, f"/_sandbox/richmenu/{USER}")
    assert (seen["richMenuId"], seen["source"]) == (own, "user")
    status, _, image = _call(fake, f"/_sandbox/richmenus/{own}/image")
    assert (status, image) == (200, PNG)
    assert _call(fake, "/_sandbox/richmenus/richmenu-nope/image")[0] == 404
    assert _call(fake, "/_sandbox/richmenu/not-a-user")[0] == 400


def test_a_tab_tapped_switches_the_users_menu_by_alias(fake, client):
    api = MessagingApi(client)
    first, second = _menu(client, "a"), _menu(client, "b")
    api.set_default_rich_menu(first)
    api.create_rich_menu_alias(
        CreateRichMenuAliasRequest(rich_menu_alias_id="tab-b", rich_menu_id=second)
    )
    status, switched, _ = _call(
        fake, "/_sandbox/richmenu-switch", {"userId": USER, "richMenuAliasId": "tab-b"}
    )
    assert (status, switched) == (200, {"status": "SUCCESS", "richMenuId": second})
    assert _call(fake, f"/_sandbox/richmenu/{USER}")[1]["richMenuId"] == second
    assert api.get_rich_menu_id_of_user(USER).rich_menu_id == second
    # Someone else still sees the default, and an unknown alias says so.
    assert _call(fake, f"/_sandbox/richmenu/{OTHER}")[1]["richMenuId"] == first
    _, missing, _ = _call(
        fake, "/_sandbox/richmenu-switch", {"userId": OTHER, "richMenuAliasId": "nope"}
    )
    assert missing == {"status": "RICHMENU_ALIAS_ID_NOTFOUND"}
    status, refused, _ = _call(
        fake, "/_sandbox/richmenu-switch", {"userId": "U1", "richMenuAliasId": "Bad Alias"}
    )
    assert status == 400
    assert [d["property"] for d in refused["details"]] == ["/userId", "/richMenuAliasId"]
