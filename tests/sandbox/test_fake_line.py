"""The fake LINE platform, exercised through the real line-bot-sdk, and the OpenAPI validator."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexImage,
    FlexMessage,
    FlexText,
    ImageMessage,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
    URIAction,
    UserProfileResponse,
    ValidateMessageRequest,
)
from linebot.v3.messaging.exceptions import (
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)

from sandbox import fake_base, fake_line
from sandbox.fake_line import FakeLine
from tests.support import openapi
from tests.support.openapi import (
    MessagingApiValidator,
    messaging_spec_path,
    require_validator,
    validate_recorded,
)

TOKEN = "test-channel-access-token"
USER = "U" + "1" * 32
OTHER_USER = "U" + "2" * 32
PUSH = "/v2/bot/message/push"
REPLY = "/v2/bot/message/reply"


def _serve(**kwargs: Any) -> FakeLine:
    """Start a fake on a free port that expects TOKEN."""
    return FakeLine(access_token=TOKEN, **kwargs).start()


@pytest.fixture
def fake() -> Iterator[FakeLine]:
    """A running fake whose recorded requests must all match LINE's OpenAPI document."""
    server = _serve()
    yield server
    server.stop()
    if messaging_spec_path() is not None:
        validate_recorded(server.recorded())


@pytest.fixture
def raw_fake() -> Iterator[FakeLine]:
    """A running fake for deliberately malformed requests (not checked against the spec)."""
    server = _serve()
    yield server
    server.stop()


def _client(server: FakeLine, token: str = TOKEN) -> ApiClient:
    """Return an SDK client pointed at the fake."""
    return ApiClient(Configuration(host=server.url, access_token=token))


@pytest.fixture
def client(fake: FakeLine) -> Iterator[ApiClient]:
    """An SDK client for `fake`; its keep-alive sockets are closed afterwards."""
    api_client = _client(fake)
    with api_client:
        yield api_client
    api_client.rest_client.pool_manager.clear()


@pytest.fixture
def api(client: ApiClient) -> MessagingApi:
    """MessagingApi on the fake."""
    return MessagingApi(client)


def _text(text: str = "ポイントが貯まりました") -> TextMessage:
    """A short text message."""
    return TextMessage(text=text)


def _push(to: str = USER, *messages: Any) -> PushMessageRequest:
    """A push request with a default text message."""
    return PushMessageRequest(to=to, messages=list(messages) or [_text()])


def _error_body(error: ApiException) -> dict[str, Any]:
    """Decode the JSON body of an SDK exception."""
    return json.loads(error.body)


def _card_bubble(image_url: str = "https://example.com/card.png") -> FlexBubble:
    """A realistic membership-card bubble: hero image, body texts, footer buttons."""
    return FlexBubble(
        hero=FlexImage(url=image_url, size="full", aspect_ratio="20:13", aspect_mode="cover"),
        body=FlexBox(
            layout="vertical",
            contents=[
                FlexText(text="Member card", weight="bold", size="xl"),
                FlexText(text="120 pt", color="#666666"),
            ],
        ),
        footer=FlexBox(
            layout="vertical",
            spacing="sm",
            contents=[
                FlexButton(
                    style="primary",
                    action=PostbackAction(label="Points", data="a=points", display_text="Points"),
                ),
                FlexButton(style="link", action=URIAction(label="Shop", uri="https://example.com")),
            ],
        ),
    )


def _card_message(bubble: FlexBubble | FlexCarousel | None = None) -> FlexMessage:
    """A Flex card message with a quick reply."""
    return FlexMessage(
        alt_text="Your member card",
        contents=bubble or _card_bubble(),
        quick_reply=QuickReply(
            items=[
                QuickReplyItem(
                    action=PostbackAction(label="History", data="a=history", display_text="History")
                )
            ]
        ),
    )


def _oversize_bubble() -> FlexBubble:
    """A bubble whose compact JSON is over 30 KB."""
    texts = [FlexText(text="x" * 1000) for _ in range(fake_base.BUBBLE_MAX_BYTES // 1000 + 1)]
    return FlexBubble(body=FlexBox(layout="vertical", contents=texts))


def _raw(
    server: FakeLine, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """Send a request the SDK would refuse to build; return status, headers and JSON body."""
    all_headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    all_headers.update(headers or {})
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        server.url + path, data=body, headers=all_headers, method="POST" if body else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


# -- reply -------------------------------------------------------------------------------------


def test_reply_token_is_single_use(fake: FakeLine, api: MessagingApi) -> None:
    token = fake.issue_reply_token(USER)
    assert len(token) == 32
    int(token, 16)

    response = api.reply_message(ReplyMessageRequest(reply_token=token, messages=[_text()]))
    assert response.sent_messages[0].id.isdigit()
    assert response.sent_messages[0].quote_token

    with pytest.raises(ApiException) as excinfo:
        api.reply_message(ReplyMessageRequest(reply_token=token, messages=[_text()]))
    assert excinfo.value.status == 400
    assert _error_body(excinfo.value) == {"message": "Invalid reply token"}
    assert len(fake.replies()) == 1
    assert fake.messages_for(USER) == [{"type": "text", "text": "ポイントが貯まりました"}]


def test_any_unseen_reply_token_is_accepted_unless_strict(api: MessagingApi) -> None:
    api.reply_message(ReplyMessageRequest(reply_token="f" * 32, messages=[_text()]))

    strict = _serve(strict_reply_tokens=True)
    try:
        with _client(strict) as strict_client:
            strict_api = MessagingApi(strict_client)
            with pytest.raises(ApiException) as excinfo:
                strict_api.reply_message(
                    ReplyMessageRequest(reply_token="f" * 32, messages=[_text()])
                )
            assert _error_body(excinfo.value)["message"] == "Invalid reply token"
            token = strict.issue_reply_token()
            strict_api.reply_message(ReplyMessageRequest(reply_token=token, messages=[_text()]))
        strict_client.rest_client.pool_manager.clear()
    finally:
        strict.stop()
    assert len(strict.replies()) == 1


def test_reply_with_retry_key_is_rejected_and_token_stays_usable(
    fake: FakeLine, api: MessagingApi
) -> None:
    token = fake.issue_reply_token(USER)
    request = ReplyMessageRequest(reply_token=token, messages=[_text()])

    with pytest.raises(ApiException) as excinfo:
        api.reply_message(request, _headers={"X-Line-Retry-Key": str(uuid4())})
    assert excinfo.value.status == 400
    assert "retry key" in _error_body(excinfo.value)["message"].lower()
    assert fake.replies() == []

    api.reply_message(request)
    assert len(fake.replies()) == 1


# -- push and retry keys -----------------------------------------------------------------------


def test_push_retry_key_is_accepted_once(fake: FakeLine, api: MessagingApi) -> None:
    key = str(uuid4())
    first = api.push_message_with_http_info(_push(), x_line_retry_key=key)
    assert first.status_code == 200
    first_request_id = first.headers["x-line-request-id"]

    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(), x_line_retry_key=key)
    error = excinfo.value
    assert error.status == 409
    assert error.headers["x-line-accepted-request-id"] == first_request_id
    assert error.headers["x-line-request-id"] != first_request_id
    body = _error_body(error)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [m.to_dict() for m in first.data.sent_messages]

    assert fake.deliveries_by_retry_key() == {key: 1}
    assert len(fake.pushes()) == 1
    assert len(fake.messages_for(USER)) == 1


def test_random_failures_of_one_retry_key_stop_after_the_streak(
    fake: FakeLine, api: MessagingApi
) -> None:
    fake.fail_randomly("/v2/bot/message/push", 1.0, statuses=(500,), streak=2)
    key = str(uuid4())
    answers = []
    for _ in range(3):
        try:
            answers.append(
                api.push_message_with_http_info(_push(), x_line_retry_key=key).status_code
            )
        except ApiException as exc:
            answers.append(exc.status)
    assert answers == [500, 500, 200]  # every request fails, but never a third time in a row
    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(), x_line_retry_key=str(uuid4()))  # another push: its own streak
    assert excinfo.value.status == 500


def test_push_without_retry_key_is_accepted_every_time(fake: FakeLine, api: MessagingApi) -> None:
    api.push_message(_push())
    api.push_message(_push())
    assert len(fake.pushes()) == 2
    assert fake.deliveries_by_retry_key() == {}


def test_push_rejects_malformed_retry_key_and_recipient(fake: FakeLine, api: MessagingApi) -> None:
    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(), x_line_retry_key="not-a-uuid")
    assert excinfo.value.status == 400

    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push("someone"))
    assert excinfo.value.status == 400
    assert _error_body(excinfo.value) == {"message": "Failed to send messages"}
    assert fake.pushes() == []


def test_injected_500_then_success(fake: FakeLine, api: MessagingApi) -> None:
    fake.fail_next(PUSH, 500)
    key = str(uuid4())
    with pytest.raises(ServiceException) as excinfo:
        api.push_message(_push(), x_line_retry_key=key)
    assert excinfo.value.headers["x-line-request-id"]
    assert fake.pushes() == []

    api.push_message(_push(), x_line_retry_key=key)
    assert fake.deliveries_by_retry_key() == {key: 1}
    assert [r.status for r in fake.recorded(PUSH)] == [500, 200]


def test_accept_first_failure_then_retry_is_a_conflict(fake: FakeLine, api: MessagingApi) -> None:
    fake.fail_next(PUSH, 500, accept_first=True)
    key = str(uuid4())
    with pytest.raises(ServiceException) as lost:
        api.push_message(_push(), x_line_retry_key=key)

    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(), x_line_retry_key=key)
    assert excinfo.value.status == 409
    accepted_id = excinfo.value.headers["x-line-accepted-request-id"]
    assert accepted_id == lost.value.headers["x-line-request-id"]
    assert fake.deliveries_by_retry_key() == {key: 1}
    assert len(fake.pushes()) == 1
    assert len(fake.messages_for(USER)) == 1


def test_fail_next_prefix_count_and_body(fake: FakeLine, api: MessagingApi) -> None:
    fake.fail_next("/v2/bot/profile/", 503, count=2, body={"message": "maintenance"})
    for _ in range(2):
        with pytest.raises(ServiceException) as excinfo:
            api.get_profile(USER)
        assert _error_body(excinfo.value) == {"message": "maintenance"}
    assert api.get_profile(USER).user_id == USER


def test_monthly_quota(fake: FakeLine, api: MessagingApi) -> None:
    assert api.get_message_quota().type == "none"
    fake.set_monthly_quota(2)
    api.push_message(_push())
    api.push_message(_push())

    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push())
    assert excinfo.value.status == 429
    assert _error_body(excinfo.value) == {"message": "You have reached your monthly limit."}

    quota = api.get_message_quota()
    assert (quota.type, quota.value) == ("limited", 2)
    assert api.get_message_quota_consumption().total_usage == 2
    assert len(fake.pushes()) == 2


def test_multicast(fake: FakeLine, api: MessagingApi) -> None:
    key = str(uuid4())
    api.multicast(MulticastRequest(to=[USER, OTHER_USER], messages=[_text()]), x_line_retry_key=key)
    with pytest.raises(ApiException) as excinfo:
        api.multicast(MulticastRequest(to=[USER], messages=[_text()]), x_line_retry_key=key)
    assert excinfo.value.status == 409
    assert "sentMessages" not in _error_body(excinfo.value)
    assert len(fake.messages_for(USER)) == len(fake.messages_for(OTHER_USER)) == 1


# -- profile, content, auth, misc --------------------------------------------------------------


def test_added_profile_parses_as_sdk_model(fake: FakeLine, client: ApiClient) -> None:
    fake.add_profile(USER, "山田 花子", language="ja", picture_url="https://example.com/p.png")
    response = MessagingApi(client).get_profile_with_http_info(USER)
    assert isinstance(response.data, UserProfileResponse)
    assert response.data.display_name == "山田 花子"
    assert response.data.language == "ja"
    assert response.data.picture_url == "https://example.com/p.png"
    assert len(response.headers["x-line-request-id"]) == 32


def test_plausible_unknown_user_gets_sandbox_profile(api: MessagingApi) -> None:
    profile = api.get_profile(OTHER_USER)
    assert (profile.display_name, profile.language) == ("Sandbox shopper", "ja")
    assert profile.picture_url is None


def test_malformed_user_id_is_not_found(api: MessagingApi) -> None:
    with pytest.raises(NotFoundException) as excinfo:
        api.get_profile("not-a-user")
    assert _error_body(excinfo.value) == {"message": "Not found"}


def test_content_download(fake: FakeLine, client: ApiClient) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\xff\xd9"
    fake.add_content("100001", jpeg)
    blob = MessagingApiBlob(client)
    response = blob.get_message_content_with_http_info("100001")
    assert bytes(response.data) == jpeg
    assert response.headers["content-type"] == "image/jpeg"
    with pytest.raises(NotFoundException):
        blob.get_message_content("100002")


def test_wrong_or_missing_token_is_unauthorized(fake: FakeLine) -> None:
    with _client(fake, token="wrong") as wrong:
        with pytest.raises(UnauthorizedException) as excinfo:
            MessagingApi(wrong).push_message(_push())
        assert _error_body(excinfo.value)["message"].startswith("Authentication failed")
    wrong.rest_client.pool_manager.clear()

    status, _, body = _raw(
        fake, PUSH, json.dumps(_push().to_dict()).encode(), {"Authorization": ""}
    )
    assert status == 401
    assert "invalid token" in body["message"]
    assert fake.pushes() == []


def test_loading_animation_answers_202(api: MessagingApi) -> None:
    request = ShowLoadingAnimationRequest(chat_id=USER, loading_seconds=10)
    assert api.show_loading_animation_with_http_info(request).status_code == 202
    with pytest.raises(ApiException) as excinfo:
        api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=USER, loading_seconds=7))
    assert excinfo.value.status == 400


def test_rich_menu_lifecycle(fake: FakeLine, client: ApiClient) -> None:
    api, blob = MessagingApi(client), MessagingApiBlob(client)
    menu = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=True,
        name="main",
        chat_bar_text="メニュー",
        areas=[
            RichMenuArea(
                bounds=RichMenuBounds(x=0, y=0, width=1250, height=843),
                action=PostbackAction(data="a=card", display_text="Card"),
            )
        ],
    )
    api.validate_rich_menu_object(menu)
    menu_id = api.create_rich_menu(menu).rich_menu_id

    with pytest.raises(ApiException) as excinfo:
        api.set_default_rich_menu(menu_id)
    assert excinfo.value.status == 400  # no image yet
    with pytest.raises(ApiException) as excinfo:
        blob.set_rich_menu_image(menu_id, body=b"GIF89a", _headers={"Content-Type": "image/gif"})
    assert excinfo.value.status == 415

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    blob.set_rich_menu_image(menu_id, body=png, _headers={"Content-Type": "image/png"})
    with pytest.raises(ApiException) as excinfo:
        blob.set_rich_menu_image(menu_id, body=png, _headers={"Content-Type": "image/png"})
    assert excinfo.value.status == 400  # an image cannot be replaced

    api.set_default_rich_menu(menu_id)
    assert api.get_default_rich_menu_id().rich_menu_id == menu_id
    assert api.get_rich_menu(menu_id).chat_bar_text == "メニュー"
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [menu_id]
    assert bytes(blob.get_rich_menu_image(menu_id)) == png


# -- message checks ----------------------------------------------------------------------------


def test_oversize_bubble_is_rejected(fake: FakeLine, api: MessagingApi) -> None:
    message = FlexMessage(alt_text="big", contents=_oversize_bubble())
    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(USER, message))
    assert excinfo.value.status == 400
    body = _error_body(excinfo.value)
    assert body["message"] == "The request body has 1 error(s)"
    assert body["details"][0]["property"] == "messages[0].contents"

    with pytest.raises(ApiException):
        api.validate_push(ValidateMessageRequest(messages=[message]))
    api.validate_push(ValidateMessageRequest(messages=[_card_message()]))
    assert fake.pushes() == []


@pytest.mark.parametrize(
    ("message", "prop"),
    [
        pytest.param(TextMessage(text="あ" * 5001), "messages[0].text", id="text-5001"),
        pytest.param(
            FlexMessage(alt_text="a" * 1501, contents=_card_bubble()),
            "messages[0].altText",
            id="alt-text-1501",
        ),
        pytest.param(
            FlexMessage(alt_text="cards", contents=FlexCarousel(contents=[_card_bubble()] * 13)),
            "messages[0].contents.contents",
            id="carousel-13",
        ),
    ],
)
def test_limits_the_sdk_does_not_enforce(api: MessagingApi, message: Any, prop: str) -> None:
    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(USER, message))
    assert excinfo.value.status == 400
    assert [d["property"] for d in _error_body(excinfo.value)["details"]] == [prop]


def test_https_check_is_switchable(api: MessagingApi) -> None:
    http_card = _card_message(_card_bubble("http://localhost:8080/card.png"))
    image = ImageMessage(
        original_content_url="http://localhost/a.jpg", preview_image_url="https://x.test/a.jpg"
    )
    api.push_message(_push(USER, http_card, image))  # sandbox default: http allowed

    strict = _serve(require_https=True)
    try:
        with _client(strict) as strict_client, pytest.raises(ApiException) as excinfo:
            MessagingApi(strict_client).push_message(_push(USER, http_card, image))
        strict_client.rest_client.pool_manager.clear()
    finally:
        strict.stop()
    details = _error_body(excinfo.value)["details"]
    assert {d["property"] for d in details} == {
        "messages[0].contents.hero.url",
        "messages[1].originalContentUrl",
    }
    assert {d["message"] for d in details} == {"invalid uri scheme"}


def test_malformed_bodies_are_rejected(raw_fake: FakeLine) -> None:
    status, headers, body = _raw(raw_fake, PUSH, b"{not json")
    assert (status, body["message"]) == (400, "The request body has 1 error(s)")
    assert headers["x-line-request-id"]

    too_many = {"to": USER, "messages": [{"type": "text", "text": "hi"}] * 6}
    status, _, body = _raw(raw_fake, PUSH, json.dumps(too_many).encode())
    assert status == 400
    assert body["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]

    status, _, body = _raw(raw_fake, REPLY, json.dumps({"messages": []}).encode())
    assert status == 400
    assert {d["property"] for d in body["details"]} == {"replyToken", "messages"}
    assert raw_fake.pushes() == raw_fake.replies() == []


# -- timing ------------------------------------------------------------------------------------


def test_delay_makes_the_sdk_time_out(fake: FakeLine, api: MessagingApi) -> None:
    fake.set_delay(PUSH, 0.4)
    key = str(uuid4())
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.push_message(_push(), x_line_retry_key=key, _request_timeout=0.2)

    # The platform still processed the push ("maybe sent"): wait for it, then retry safely.
    deadline = time.monotonic() + 2
    while not fake.recorded(PUSH) and time.monotonic() < deadline:
        time.sleep(0.02)
    fake.set_delay(PUSH, 0)
    with pytest.raises(ApiException) as excinfo:
        api.push_message(_push(), x_line_retry_key=key, _request_timeout=2)
    assert excinfo.value.status == 409
    assert fake.deliveries_by_retry_key() == {key: 1}


# -- inspection, history, reset ----------------------------------------------------------------


def test_sandbox_inbox(fake: FakeLine, api: MessagingApi) -> None:
    api.push_message(_push(USER, _text("one")))
    api.reply_message(
        ReplyMessageRequest(reply_token=fake.issue_reply_token(OTHER_USER), messages=[_text("two")])
    )
    status, headers, inbox = _raw(fake, "/_sandbox/inbox")
    assert status == 200
    assert headers["x-line-request-id"]
    assert [(m["to"], m["via"], m["message"]["text"]) for m in inbox["messages"]] == [
        (USER, "push", "one"),
        (OTHER_USER, "reply", "two"),
    ]
    assert all(m["at"].endswith("+00:00") for m in inbox["messages"])

    _, _, mine = _raw(fake, f"/_sandbox/inbox/{OTHER_USER}")
    assert [m["message"]["text"] for m in mine["messages"]] == ["two"]


def test_history_is_bounded(
    fake: FakeLine, api: MessagingApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "history", 3)
    fake.reset()
    for index in range(5):
        api.push_message(_push(USER, _text(str(index))))
    assert len(fake.recorded()) == 3
    assert [m["text"] for m in fake.messages_for(USER)] == ["2", "3", "4"]


def test_reset_forgets_everything(fake: FakeLine, api: MessagingApi) -> None:
    key = str(uuid4())
    api.push_message(_push(), x_line_retry_key=key)
    fake.add_profile(USER, "Hanako")
    fake.fail_next(PUSH, 500)
    fake.set_monthly_quota(1)
    fake.reset()

    assert fake.recorded() == fake.pushes() == []
    assert fake.deliveries_by_retry_key() == {}
    api.push_message(_push(), x_line_retry_key=key)  # no fault, no quota, key forgotten
    assert api.get_profile(USER).display_name == "Sandbox shopper"


def test_start_stop_and_context_manager() -> None:
    with FakeLine() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.start() is server
        status, _, body = _raw(server, "/v2/bot/nowhere")
        assert (status, body) == (404, {"message": "Not found"})
    server.stop()  # idempotent


# -- OpenAPI validator -------------------------------------------------------------------------


@pytest.fixture
def validator() -> MessagingApiValidator:
    """The validator, or a skip with a clear reason when shared/line-openapi is absent."""
    return require_validator()


def test_require_validator_skips_with_a_clear_reason_without_the_spec(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(openapi, "SPEC_PATH", tmp_path / "messaging-api.yml")
    assert openapi.messaging_spec_path() is None
    with pytest.raises(
        pytest.skip.Exception,
        match=r"LINE OpenAPI documents not found at .*: request validation skipped",
    ):
        openapi.require_validator()


def _realistic_push() -> dict[str, Any]:
    """A push with text and a Flex card, as the SDK serializes it."""
    return _push(USER, _text(), _card_message()).to_dict()


def test_validator_accepts_realistic_push(validator: MessagingApiValidator) -> None:
    validator.validate("POST", PUSH, _realistic_push())


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        pytest.param({"type": "text", "size": "xl"}, "'text' is a required property", id="no-text"),
        pytest.param({"type": "barcode", "value": "123"}, "'barcode' is not one of", id="barcode"),
        pytest.param({"type": "button"}, "'action' is a required property", id="no-action"),
    ],
)
def test_validator_rejects_invalid_flex(
    validator: MessagingApiValidator, component: dict[str, Any], expected: str
) -> None:
    body = copy.deepcopy(_realistic_push())
    body["messages"][1]["contents"]["body"]["contents"].append(component)
    with pytest.raises(AssertionError, match=expected) as excinfo:
        validator.validate("POST", PUSH, body)
    assert "/messages/1/contents/body/contents/2" in str(excinfo.value)


def test_validator_rejects_unknown_message_type_and_wrong_block(
    validator: MessagingApiValidator,
) -> None:
    body = _realistic_push()
    body["messages"][0]["type"] = "txt"
    body["messages"][1]["contents"]["header"] = {"type": "text", "text": "not a box"}
    with pytest.raises(AssertionError) as excinfo:
        validator.validate("POST", PUSH, body)
    report = str(excinfo.value)
    assert "/messages/0/type: 'txt' is not one of" in report
    assert "/messages/1/contents/header/type: 'text' is not one of ['box']" in report


def test_validator_rejects_unknown_path_and_method(validator: MessagingApiValidator) -> None:
    with pytest.raises(AssertionError, match=r"path not in messaging-api\.yml"):
        validator.validate("POST", "/v2/bot/message/pushh", _realistic_push())
    with pytest.raises(AssertionError, match=r"method not in messaging-api\.yml"):
        validator.validate("GET", PUSH, None)
    with pytest.raises(AssertionError, match="JSON request body is required"):
        validator.validate("POST", PUSH, None)


def test_validator_resolves_templates_and_skips_binary_bodies(
    validator: MessagingApiValidator,
) -> None:
    validator.validate("GET", f"/v2/bot/profile/{USER}", None)
    validator.validate("GET", "/v2/bot/richmenu/list", None)
    validator.validate("POST", "/v2/bot/richmenu/richmenu-1/content", None)
    validator.validate("GET", "/v2/bot/message/quota?x=1", None)


def test_every_recorded_request_matches_the_spec(
    validator: MessagingApiValidator, fake: FakeLine, client: ApiClient
) -> None:
    api, blob = MessagingApi(client), MessagingApiBlob(client)
    fake.add_content("42", b"data", "audio/m4a")
    api.reply_message(
        ReplyMessageRequest(reply_token=fake.issue_reply_token(USER), messages=[_card_message()])
    )
    api.push_message(_push(USER, _text(), _card_message()), x_line_retry_key=str(uuid4()))
    api.multicast(MulticastRequest(to=[USER, OTHER_USER], messages=[_text()]))
    api.get_profile(USER)
    api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=USER))
    api.validate_push(ValidateMessageRequest(messages=[_card_message()]))
    api.get_message_quota()
    api.get_message_quota_consumption()
    blob.get_message_content("42")
    _raw(fake, "/_sandbox/inbox")

    recorded = fake.recorded()
    assert len(recorded) == 10
    validate_recorded(recorded)
    with pytest.raises(AssertionError, match=r"path not in messaging-api\.yml"):
        validate_recorded(
            [*recorded, fake_line.RecordedRequest("GET", "/v2/x", {}, {}, b"", None, 404, None)]
        )
