"""Pure builders of the staff conversation's messages."""

from __future__ import annotations

from typing import Any

from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.flex import button, text_message
from bot.messages.flex import confirm_message as confirm
from bot.messages.texts import text


def _quick_action(kind: str, label: str) -> dict[str, Any]:
    return {"type": "action", "action": {"type": kind, "label": label}}


def scan_prompt(language: str) -> dict[str, Any]:
    """Ask for a photo of the card, with camera and camera-roll quick replies."""
    message = text_message(text(language, "staff_scan"))
    message["quickReply"] = {
        "items": [
            _quick_action("camera", text(language, "staff_camera")),
            _quick_action("cameraRoll", text(language, "staff_camera_roll")),
        ]
    }
    return message


def confirm_message(
    language: str, number: str, amount: int, used: int, txn: str, earned: int
) -> dict:
    """The purchase to grant and the points it grants, with Grant / Cancel buttons bound to
    this pending grant."""
    body = text(
        language,
        "staff_confirm",
        number=number,
        amount=fmt.number(amount),
        used=fmt.number(used),
        earned=fmt.points(language, earned, signed=True),
    )
    grant = text(language, "staff_confirm_button")
    cancel = text(language, "staff_cancel_button")
    alt = text(
        language,
        "staff_confirm_alt",
        amount=fmt.number(amount),
        used=fmt.number(used),
        earned=fmt.points(language, earned, signed=True),
    )
    return confirm(
        body,
        button(grant, postbacks.StaffConfirm(t=txn), style="primary", height=None, echo=True),
        button(cancel, postbacks.StaffCancel(), height=None, echo=True),
        alt,
    )
