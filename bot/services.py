"""The per-process services (Redis, LINE, queue, URL signer) that handlers and views share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from bot.config import Settings
from bot.domain.program import Reward
from bot.line.client import LineClient
from bot.operations.cards import CardCodes
from bot.store import keys
from bot.store.clients import connect
from bot.store.events import EventInbox
from bot.store.image_cache import ImageCache
from bot.store.ledger import Ledger
from bot.store.notice_state import NoticeState
from bot.store.outbox import Outbox
from bot.store.push_limits import LineQuota
from bot.store.redis_store import LoyaltyStore
from bot.store.staff import StaffRegistry
from bot.store.staff_sessions import StaffSessions
from bot.store.tickets import TicketBook
from bot.store.visits import Visits

#: Seconds the webhook waits for one Redis call (with the client's retries, well under LINE's
#: 2-second limit for the whole answer).
WEBHOOK_REDIS_TIMEOUT = 0.3
#: Seconds a card image request waits for Redis before drawing the image itself.
IMAGE_REDIS_TIMEOUT = 0.5


class ImageUrls:
    """Signed, expiring URLs of images (cards, tickets) whose token carries everything the
    image shows.

    So rendering needs no Redis. LINE fetches an image when the message is shown, so an old
    card message shows a broken image once its URL has expired; the shopper taps "refresh".
    """

    def __init__(
        self,
        secret_key: str,
        public_base_url: str,
        *,
        salt: str = "card-image-v2",
        path: str = "media/card",
    ) -> None:
        self._signer = URLSafeSerializer(secret_key, salt=salt)
        self._base = f"{public_base_url}/{path}"

    def url_for(self, fields: list[str | int], expires_at: int) -> str:
        """The public URL of an image showing ``fields``, valid until ``expires_at``."""
        return f"{self._base}/{self._signer.dumps([expires_at, *fields])}.png"

    def fields_from(self, token: str, now: int) -> tuple[int, list[object]] | None:
        """The expiry and fields a token was signed for; None if tampered or expired at ``now``."""
        try:
            payload = self._signer.loads(token)
        except BadSignature:
            return None
        if not isinstance(payload, list) or not payload or type(payload[0]) is not int:
            return None
        if now >= payload[0]:
            return None
        return payload[0], payload[1:]


@dataclass
class Services:
    """Everything built once per process from the settings."""

    settings: Settings
    store: LoyaltyStore
    ledger: Ledger
    #: Reward tickets, on the ledger's keys (bot/store/tickets.py).
    tickets: TicketBook
    #: Check-ins and beacons (bot/store/visits.py).
    visits: Visits
    staff: StaffRegistry
    staff_sessions: StaffSessions
    notices: NoticeState
    quota: LineQuota
    outbox: Outbox
    line: LineClient
    card_urls: ImageUrls
    #: Signed URLs of ticket images (bot/web/media.py).
    ticket_urls: ImageUrls
    #: Drawn card images (bot/imaging/card_cache.py).
    card_images: ImageCache
    card_codes: CardCodes
    #: The queues' Redis (QUEUE_REDIS_URL, else REDIS_URL); RQ needs a client that returns
    #: bytes, the store uses one that returns str.
    queue_redis: redis.Redis
    #: The webhook's own client of the queues' Redis, with short timeouts: LINE waits 2 s.
    webhook_redis: redis.Redis
    #: Event dedupe, used by the worker where events are handled.
    events: EventInbox
    #: The current unix time in seconds; tests replace it to move through expiry.
    clock: Callable[[], int] = field(default=lambda: int(time.time()))

    def reward_image_url(self, reward: Reward) -> str | None:
        """The public URL of a reward's image (bot/web/media.py), or None if it has none; the
        file's size and time in the URL make a changed image a new URL."""
        if reward.image is None:
            return None
        try:
            stat = reward.image.stat()
        except OSError:
            return None
        version = f"{stat.st_size:x}{int(stat.st_mtime):x}"
        return f"{self.settings.public_base_url}/media/reward/{reward.key}?v={version}"

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Create the clients; nothing connects until first use."""
        keys.use_cluster(settings.redis_cluster)
        cluster = settings.redis_cluster
        client = connect(settings.redis_url, cluster=cluster)
        store = LoyaltyStore(client)
        ledger = Ledger(client, settings.program, wait=settings.wait_replicas)
        return cls(
            settings=settings,
            store=store,
            ledger=ledger,
            tickets=TicketBook(ledger),
            visits=Visits(ledger),
            staff=StaffRegistry(client),
            staff_sessions=StaffSessions(client),
            notices=NoticeState(client),
            quota=LineQuota(client),
            outbox=Outbox(client),
            line=LineClient(
                settings.channel_access_token,
                settings.line_api_base_url,
                connections=max(settings.worker_threads, 10),
            ),
            card_urls=ImageUrls(settings.secret_key, settings.public_base_url),
            ticket_urls=ImageUrls(
                settings.secret_key,
                settings.public_base_url,
                salt="ticket-image-v1",
                path="media/ticket",
            ),
            card_images=ImageCache(
                connect(settings.redis_url, IMAGE_REDIS_TIMEOUT, cluster=cluster, decode=False)
            ),
            card_codes=CardCodes(store, settings.program, settings.secret_key),
            queue_redis=redis.Redis.from_url(settings.queues_url, socket_timeout=5),
            webhook_redis=_bytes_client(settings.queues_url, WEBHOOK_REDIS_TIMEOUT),
            events=EventInbox(client),
        )


def _bytes_client(url: str, timeout: float) -> redis.Redis:
    """A client that returns bytes and waits at most ``timeout`` seconds per call."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def services() -> Services:
    """The services of the current Flask app."""
    return current_app.extensions["loyalty"]
