"""The entrance screen: a page at a secret URL that shows the store's check-in QR code and
keeps it current by itself (``flask --app wsgi store checkin STORE_ID`` prints the URL).

The page asks for a new image every few seconds and swaps it in only once it has loaded, so a
network blip leaves the last code on screen; a code stays good for one more window after it
changes, so a short blip costs nothing. The secret of the URL is what stops codes being read
from home: keep it on the screen's device only.
"""

from __future__ import annotations

import html

from flask import Blueprint, Response, abort, jsonify, request
from linebot.v3.messaging import ApiException

from bot.domain.colours import ink_on
from bot.imaging.checkin_image import qr_png
from bot.messages.texts import text
from bot.operations import visits
from bot.services import services

bp = Blueprint("checkin", __name__)

#: How often the page asks for the current code, in seconds.
POLL_SECONDS = 5

_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ margin: 0; font-family: sans-serif; background: {background}; color: {ink};
       display: flex; flex-direction: column; align-items: center; justify-content: center;
       min-height: 100vh; text-align: center; }}
h1 {{ font-size: 6vmin; margin: 2vmin; }} h2 {{ font-size: 4vmin; margin: 1vmin; }}
img {{ width: 70vmin; height: 70vmin; background: white; image-rendering: pixelated;
      border-radius: 2vmin; }}
p {{ font-size: 3vmin; max-width: 80vmin; }} #offline {{ visibility: hidden; }}
</style></head>
<body>
<h2>{store}</h2><h1>{title}</h1>
<img id="qr" alt="QR" src="{image}">
<p>{how}</p><p id="offline">{offline}</p>
<script>
(function () {{
  var shown = null, img = document.getElementById("qr");
  var offline = document.getElementById("offline");
  function refresh() {{
    fetch("{state}", {{cache: "no-store"}}).then(function (r) {{
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }}).then(function (state) {{
      offline.style.visibility = "hidden";
      if (state.step === shown) return;
      var next = new Image();
      next.onload = function () {{ img.src = next.src; shown = state.step; }};
      next.src = state.image;
    }}).catch(function () {{ offline.style.visibility = "visible"; }});
  }}
  refresh();
  setInterval(refresh, {poll});
}})();
</script>
</body></html>
"""


def _store_or_404(token: str) -> str:
    store_id = visits.screen_store(services(), token)
    if store_id is None:
        abort(404)
    return store_id


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/checkin/<token>")
def screen(token: str) -> Response:
    """The entrance screen's page."""
    svc = services()
    store_id = _store_or_404(token)
    design = svc.settings.program.card
    page = _PAGE.format(
        title=html.escape(text("ja", "checkin_title")),
        store=html.escape(svc.store.store_name(store_id)),
        how=html.escape(text("ja", "checkin_how")),
        offline=html.escape(text("ja", "checkin_offline")),
        background=design.background,
        ink=ink_on(design.background),
        image=f"/checkin/{token}/qr.png",
        state=f"/checkin/{token}/state.json",
        poll=POLL_SECONDS * 1000,
    )
    return _no_store(Response(page, mimetype="text/html"))


@bp.get("/checkin/<token>/state.json")
def state(token: str) -> Response:
    """Which code the screen should show now, and the image that shows it."""
    svc = services()
    store_id = _store_or_404(token)
    window = svc.settings.program.visits.code_window
    _, changes_in = visits.screen_code(svc, store_id)
    step = svc.clock() // window
    return _no_store(
        jsonify(step=step, changes_in=changes_in, image=f"/checkin/{token}/qr.png?step={step}")
    )


@bp.get("/checkin/<token>/qr.png")
def qr(token: str) -> Response:
    """The QR code of the check-in link with the code of ``step`` (the one the page was told
    of, if it is still accepted: the current step or the one before), else the current one."""
    svc = services()
    store_id = _store_or_404(token)
    window = svc.settings.program.visits.code_window
    now_step = svc.clock() // window
    step = request.args.get("step", type=int)
    if step is None or not now_step - 1 <= step <= now_step:
        step = now_step
    code = visits.step_code(svc, store_id, step)
    try:
        link = visits.entrance_link(svc, store_id, code)
    except ApiException:
        abort(503)
    return _no_store(Response(qr_png(link), mimetype="image/png"))
