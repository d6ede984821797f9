"""The production app plus one baseline route, for benchmarks served by gunicorn."""

from __future__ import annotations

from flask import jsonify

from bot import create_app
from bot.services import services

app = create_app()


@app.post("/bench/baseline")
def baseline():
    """One Redis round trip and a JSON answer: the floor any POS request stands on."""
    return jsonify(value=services().store.redis.incr("bench:baseline")), 201
