"""Pure builder of the shopper's settings: expiry reminders and offers, on or off."""

from __future__ import annotations

from typing import Any

from bot.domain.program import CardDesign
from bot.messages import postbacks
from bot.messages.flex import button, header
from bot.messages.texts import text

#: Colour of the "off" state (the "on" state uses the card's background colour).
OFF_COLOR = "#999999"


def settings_message(
    language: str,
    design: CardDesign,
    *,
    reminders: bool,
    promotions: bool = True,
    note: str | None = None,
) -> dict[str, Any]:
    """The reminder setting's state with a button that flips it; ``note`` says what changed."""
    state = text(language, "setting_on" if reminders else "setting_off")
    flip = "off" if reminders else "on"
    label = text(language, f"settings_turn_{flip}")
    body: list[dict[str, Any]] = []
    if note:
        body.append({"type": "text", "text": note, "size": "sm", "weight": "bold", "wrap": True})
    body += [
        {
            "type": "box",
            "layout": "horizontal",
            "contents": [
                {"type": "text", "text": text(language, "settings_reminders"), "wrap": True},
                {
                    "type": "text",
                    "text": state,
                    "align": "end",
                    "weight": "bold",
                    "flex": 0,
                    "color": design.background if reminders else OFF_COLOR,
                },
            ],
        },
        {
            "type": "text",
            "text": text(
                language, "settings_reminders_help" if reminders else "settings_reminders_help_off"
            ),
            "size": "xs",
            "color": "#888888",
            "wrap": True,
        },
    ]
    body += [
        {"type": "separator", "margin": "md"},
        {
            "type": "box",
            "layout": "horizontal",
            "contents": [
                {"type": "text", "text": text(language, "settings_promotions"), "wrap": True},
                {
                    "type": "text",
                    "text": text(language, "setting_on" if promotions else "setting_off"),
                    "align": "end",
                    "weight": "bold",
                    "flex": 0,
                    "color": design.background if promotions else OFF_COLOR,
                },
            ],
        },
        {
            "type": "text",
            "text": text(
                language,
                "settings_promotions_help" if promotions else "settings_promotions_help_off",
            ),
            "size": "xs",
            "color": "#888888",
            "wrap": True,
        },
    ]
    promotions_label = text(language, f"settings_promotions_{'off' if promotions else 'on'}")
    bubble = {
        "type": "bubble",
        "header": header(design, text(language, "settings_title")),
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                button(
                    label,
                    postbacks.Settings(reminders=not reminders),
                    style="secondary" if reminders else "primary",
                    echo=True,
                ),
                button(
                    promotions_label,
                    postbacks.Settings(promotions=not promotions),
                    style="secondary" if promotions else "primary",
                    echo=True,
                ),
            ],
        },
    }
    alt = text(language, "settings_alt", state=state)
    return {"type": "flex", "altText": alt, "contents": bubble}
