"""Entry point for gunicorn (``wsgi:app``) and the Flask CLI (``flask --app wsgi``)."""

import sys

from bot import create_app
from bot.config import SettingsError

try:
    app = create_app()
except SettingsError as exc:
    sys.exit(str(exc))
