"""A notice file: one message object in the Messaging API's own JSON, or a list of up to five,
checked against LINE's documented limits before anything is sent."""

from __future__ import annotations

import json
from typing import Any

#: LINE's limits (../line-api-facts.md): messages per request, text, alt text, Flex sizes.
MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
MAX_BUBBLE_BYTES = 30_000
MAX_CAROUSEL_BYTES = 50_000
MAX_URL = 2000
KINDS = ("text", "image", "flex")


class NoticeError(ValueError):
    """The notice file is not something LINE would send; ``problems`` says each thing."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_notice(raw: str) -> list[dict[str, Any]]:
    """The messages of a notice file, or NoticeError naming every problem."""
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise NoticeError([f"not JSON ({exc})"]) from None
    messages = document if isinstance(document, list) else [document]
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise NoticeError([f"a notice is 1 to {MAX_MESSAGES} messages, not {len(messages)}"])
    problems: list[str] = []
    for index, message in enumerate(messages):
        problems += [f"message {index + 1}: {p}" for p in _problems(message)]
    if problems:
        raise NoticeError(problems)
    return messages


def _problems(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return ["must be a JSON object"]
    kind = message.get("type")
    if kind not in KINDS:
        return [f"type {kind!r} is not one of {', '.join(KINDS)}"]
    if kind == "text":
        body = message.get("text")
        if not isinstance(body, str) or not body.strip():
            return ["a text message needs a non-empty text"]
        if len(body) > MAX_TEXT:
            return [f"text is {len(body)} characters; LINE takes at most {MAX_TEXT}"]
        return []
    if kind == "image":
        return [
            f"{field} must be an https URL of at most {MAX_URL} characters"
            for field in ("originalContentUrl", "previewImageUrl")
            if not _https(message.get(field))
        ]
    problems = []
    alt = message.get("altText")
    if not isinstance(alt, str) or not alt.strip() or len(alt) > MAX_ALT_TEXT:
        problems.append(f"altText must be 1 to {MAX_ALT_TEXT} characters")
    contents = message.get("contents")
    if not isinstance(contents, dict) or contents.get("type") not in ("bubble", "carousel"):
        return [*problems, "contents must be a bubble or a carousel"]
    size = len(json.dumps(contents, ensure_ascii=False, separators=(",", ":")).encode())
    limit = MAX_CAROUSEL_BYTES if contents["type"] == "carousel" else MAX_BUBBLE_BYTES
    if size > limit:
        problems.append(f"the {contents['type']} is {size} bytes of JSON; LINE takes {limit}")
    problems += [
        f"image URL {url[:60]!r} must be https" for url in _urls(contents) if not _https(url)
    ]
    return problems


def _https(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("https://") and len(value) <= MAX_URL


def _urls(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["url"]] if node.get("type") == "image" and "url" in node else []
        return own + [u for v in node.values() for u in _urls(v)]
    if isinstance(node, list):
        return [u for v in node for u in _urls(v)]
    return []
