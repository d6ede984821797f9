"""Entry point for gunicorn (``wsgi:app``) and the Flask CLI (``flask --app wsgi``)."""

import sys

from bot import create_app
from bot.config import SettingsError

try:
    app = create_app()
except SettingsError as exc:
    sys.exit(str(exc))

if app.extensions["loyalty"].settings.sandbox:
    # The browser page that plays LINE (GET /_sandbox/): sandbox mode only, and registered
    # from here so the bot itself never imports the sandbox.
    from sandbox import page

    page.init_app(app)
