"""The moment tests set their clock to: a Monday at 10:00 in Tokyo (the sweep's hour, outside
quiet hours), and the units they count from it in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
T0 = int(datetime(2027, 3, 1, 10, 0, tzinfo=TOKYO).timestamp())
DAY = 86400
