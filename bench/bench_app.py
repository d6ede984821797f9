"""The production app plus baseline routes, for benchmarks served by gunicorn."""

from __future__ import annotations

import os

from flask import abort, jsonify, send_file

from bench import webhook_routes
from bot import create_app
from bot.services import services

app = create_app()
app.register_blueprint(webhook_routes.bp)


@app.after_request
def _name_worker(response):
    """Which gunicorn worker answered: benchmarks report how connections were split."""
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response


@app.post("/bench/baseline")
def baseline():
    """One Redis round trip and a JSON answer: the floor any POS request stands on."""
    return jsonify(value=services().store.redis.incr("bench:baseline")), 201


@app.get("/bench/static.png")
def static_png():
    """The file at BENCH_STATIC_FILE, as a static file server would send it: the floor of
    the card image endpoint."""
    path = os.environ.get("BENCH_STATIC_FILE")
    if not path:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)
