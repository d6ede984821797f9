"""Reading LINE message JSON in tests."""

from __future__ import annotations

from typing import Any


def texts_in(node: Any) -> list[str]:
    """Every ``text`` value in a message tree, in document order."""
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for v in node.values() for t in texts_in(v)]
    if isinstance(node, list):
        return [t for v in node for t in texts_in(v)]
    return []
