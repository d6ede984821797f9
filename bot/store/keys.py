"""Every Redis key name the bot uses, built here and nowhere else.

Keys of one member share the hash tag ``{<member id>}`` so that each Lua script touches a
single slot; keys of one store share ``{<store id>}``.

On a Redis Cluster (``use_cluster``, from REDIS_CLUSTER=1) members are spread over
``SHARDS`` shards: every key of a member starts with its shard's hash tag, and the global
indexes and figures a member's step writes (the due, outbox and activity indexes, the day's
figures) are kept once per shard, beside the member's keys, so that each step stays one script
in one slot. Readers go over ``shards()``. On a single Redis there is one shard, ``""``, and
the names are those of earlier versions. The stores' own keys (records, API keys, the store
list) share the tag ``{stores}`` there, so adding a store stays one transaction.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import zlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

PREFIX = "loyalty"
#: How many shards member data has on a Redis Cluster: each is one slot, so a cluster can
#: spread members over up to this many primaries, and a reader of a global index reads this
#: many keys.
SHARDS = 256

_tags: tuple[str, ...] = ()


def _shard_tags(count: int) -> tuple[str, ...]:
    """One short hash tag per shard, shard ``i``'s in the ``i``-th equal range of slots, so
    that shards spread evenly over primaries that split the slots evenly."""
    width = REDIS_CLUSTER_HASH_SLOTS // count
    tags = []
    for shard in range(count):
        attempt = 0
        while key_slot(f"s{shard}.{attempt}".encode()) // width != shard:
            attempt += 1
        tags.append(f"s{shard}.{attempt}")
    return tuple(tags)


@functools.cache
def _cluster_tags() -> tuple[str, ...]:
    return _shard_tags(SHARDS)


def use_cluster(enabled: bool) -> None:
    """Name keys for a Redis Cluster (sharded) or for a single Redis; set once per process,
    from REDIS_CLUSTER, before any key is named."""
    global _tags
    _tags = _cluster_tags() if enabled else ()


@contextlib.contextmanager
def named_for_cluster() -> Iterator[None]:
    """Name keys for a Redis Cluster inside the block, whatever the process uses: for
    ``cluster migrate``, which reads a single Redis and writes a cluster."""
    global _tags
    before, _tags = _tags, _cluster_tags()
    try:
        yield
    finally:
        _tags = before


def cluster() -> bool:
    """Whether keys are named for a Redis Cluster."""
    return bool(_tags)


def shards() -> tuple[str, ...]:
    """Every shard (its hash tag; ``""``, the only one, on a single Redis)."""
    return _tags or ("",)


def shard(member_id: str) -> str:
    """The shard of a member's keys and of the index entries their steps write."""
    if not _tags:
        return ""
    return _tags[zlib.crc32(member_id.encode()) % len(_tags)]


def _in(shard_tag: str, name: str) -> str:
    """A global key's name in one shard (the name itself on a single Redis)."""
    return f"{PREFIX}:{{{shard_tag}}}:{name}" if shard_tag else f"{PREFIX}:{name}"


def _stores(name: str) -> str:
    """A key of the stores' own records: tagged ``{stores}`` on a Redis Cluster."""
    return f"{PREFIX}:{{stores}}:{name}" if _tags else f"{PREFIX}:{name}"


def member_id_for(line_user_id: str) -> str:
    """The internal member id for a LINE user: a hash, so keys never show the raw user id."""
    return hashlib.sha256(f"member:{line_user_id}".encode()).hexdigest()[:24]


def member(member_id: str) -> str:
    """Hash: the member's profile, card number and balance; ``h0``: how many of the oldest
    history entries the sweep has archived and dropped (entry ids are ``h0`` + list position)."""
    return _in(shard(member_id), f"m:{{{member_id}}}")


def replication_mark(member_id: str) -> str:
    """String, short-lived: written just before a ``WAIT`` after the member's ledger write."""
    return f"{member(member_id)}:w"


class LedgerKeys(NamedTuple):
    """The keys every ledger script receives, in the order ledger_common.lua expects."""

    #: Hash: the member (see ``member``).
    member: str
    #: Sorted set: lot id -> expiry (unix s).
    lots: str
    #: Hash: lot id -> "remaining|amount|earned_at|expires_at|source|ref".
    lot_data: str
    #: List: the append-only history, oldest first (JSON entries).
    history: str
    #: Hash: operation key -> JSON outcome (idempotency; purchases and refunds have their own
    #: keys with a TTL, ``operation_record``), and receipt markers ``q:<op key>``.
    ops: str
    #: Sorted set: "<op key>|<amount>" -> time of purchases inside the rank window.
    spend: str


def member_ledger(member_id: str) -> LedgerKeys:
    """The ledger keys of one member; all share the member's hash tag."""
    tag = member(member_id)
    return LedgerKeys(
        tag, f"{tag}:lots", f"{tag}:lotdata", f"{tag}:ledger", f"{tag}:ops", f"{tag}:spend"
    )


def purchase_op(store_id: str, transaction_id: str) -> str:
    """The ledger operation key of a POS purchase (a field of ``LedgerKeys.ops``)."""
    return f"p:{store_id}:{transaction_id}"


def operation_record(member_id: str, op_key: str) -> str:
    """String with a TTL (bot/store/ledger.py RECORD_TTL): the JSON outcome of a purchase or
    refund (``purchase_op``, ``refund_op``), for replays and refunds; under the member's tag."""
    return f"{member(member_id)}:op:{op_key}"


def refund_op(store_id: str, transaction_id: str) -> str:
    """The ledger operation key of the refund of a POS purchase."""
    return f"r:{store_id}:{transaction_id}"


def adjustment_op(key: str) -> str:
    """The ledger operation key of an admin adjustment (the admin's key, or a random one)."""
    return f"a:{key}"


def outbox(member_id: str) -> str:
    """Hash: pushes the member's ledger steps decided on (retry key -> JSON job), written in
    the same script as the step and moved to the push queue by the relay (bot/jobs/outbox.py)."""
    return f"{member(member_id)}:outbox"


def outbox_dead() -> str:
    """Hash: ``<member id>|<retry key>`` -> outbox values the relay could not read (kept for
    an operator to look at; nothing reads them)."""
    return f"{PREFIX}:outbox:dead"


def outbox_index(shard_tag: str = "") -> str:
    """Sorted set: ``<member id>|<retry key>`` of pushes that may be in an outbox, scored by
    when (unix s). Written before the ledger step, so a crash can never leave a push out of it;
    the relay drops an entry once it moved the push, or found none long enough after."""
    return _in(shard_tag, "outbox")


def due_index(shard_tag: str = "") -> str:
    """Sorted set: ``<member id>|<time>`` entries scored by when a lot of that member expires.
    The daily sweep reads only what is due; spent lots leave entries that the sweep drops."""
    return _in(shard_tag, "due")


def card_number(number: str) -> str:
    """String: member id owning a member number."""
    return f"{PREFIX}:card:{number}"


def card_handle(handle: str) -> str:
    """String: member id owning a rotating-code lookup handle (see bot/domain/card_codes.py)."""
    return f"{PREFIX}:handle:{handle}"


def code_use(member_id: str, step: int, counter: int) -> str:
    """String with a TTL: ``<store id> <transaction id> <body fingerprint>`` that first used
    one rotating code."""
    return f"{member(member_id)}:code:{step}:{counter}"


def store(store_id: str) -> str:
    """Hash: a store's name and API key hash."""
    return _stores(f"store:{store_id}") if _tags else f"{PREFIX}:store:{{{store_id}}}"


def store_index() -> str:
    """Set: every store id (``store list``), so listing stores never scans the keyspace."""
    return _stores("stores")


def store_index_complete() -> str:
    """String: set once the stores registered before ``store_index`` existed were added to it."""
    return _stores("stores:complete")


def store_pattern() -> str:
    """SCAN pattern of store hashes (``store``), for that one-time back-fill only."""
    return f"{PREFIX}:store:{{*}}"


def store_transaction(store_id: str, transaction_id: str) -> str:
    """String with a TTL (a day longer than the purchase's record): ``<member id>
    <fingerprint>`` claiming a POS transaction id for one body."""
    return f"{PREFIX}:store:{{{store_id}}}:txn:{transaction_id}"


def api_key(key_hash: str) -> str:
    """String: the store id an API key (by its SHA-256) belongs to."""
    return _stores(f"apikey:{key_hash}")


def webhook_event(event_id: str) -> str:
    """String with a TTL (48 h): the id of the RQ job handling a webhook event, then ``done``
    (bot/store/events.py)."""
    return f"{PREFIX}:event:{event_id}"


def staff(staff_id: str) -> str:
    """Hash: a staff member (id from ``member_id_for``): raw LINE user id, store id, added at.

    All staff keys share the hash tag ``{staff}`` so adding and removing is one transaction.
    """
    return f"{PREFIX}:staff:{{staff}}:{staff_id}"


def staff_index() -> str:
    """Set: the ids of every staff member."""
    return f"{PREFIX}:staff:{{staff}}:index"


def staff_session(staff_id: str) -> str:
    """String with a TTL: a staff member's conversation state (JSON)."""
    return f"{PREFIX}:staff:{{staff}}:{staff_id}:session"


def staff_last_grant(staff_id: str) -> str:
    """String with a TTL: a staff member's last grant (JSON), while it can still be undone."""
    return f"{PREFIX}:staff:{{staff}}:{staff_id}:last"


def store_grants(store_id: str, day: str) -> str:
    """Hash with a TTL: the grants staff made from LINE at a store on one local day,
    transaction id -> JSON (staff member, amount, points; ``undone`` once undone)."""
    return f"{PREFIX}:store:{{{store_id}}}:grants:{day}"


def staff_answered(transaction_id: str) -> str:
    """String with a TTL: the webhook event whose confirm tap answered a staff grant, so a
    double tap answers once."""
    return f"{PREFIX}:staff:{{staff}}:answered:{transaction_id}"


def staff_invite(code_hash: str) -> str:
    """String with a TTL: an unused staff invite (by the SHA-256 of its code) -> JSON of the
    store and whether it may move staff of another store."""
    return f"{PREFIX}:staff:{{staff}}:invite:{code_hash}"


def staff_invite_failures(member_id: str) -> str:
    """Counter with a TTL: invite codes a LINE user sent that were not valid, this hour."""
    return f"{PREFIX}:staff:{{staff}}:{member_id}:invitefail"


def member_reminders(member_id: str) -> str:
    """Hash: reminders queued for the member, identity (``<offset>:<last day>``, or a ticket's)
    -> until when the marker is kept (unix s); older fields are dropped as new ones come."""
    return f"{member(member_id)}:reminded"


def member_reminder(member_id: str, identity: str) -> str:
    """String with a TTL: a reminder (``<offset>:<last day>``) was queued for this member."""
    return f"{member(member_id)}:remind:{identity}"


def reminder_watermark(offset: str, shard_tag: str = "") -> str:
    """String: the due-index score up to which reminders for an offset have been queued (in
    one shard's due index on a Redis Cluster, beside it: each shard is read on its own)."""
    if shard_tag:
        return _in(shard_tag, f"sweep:remind:{offset}")
    return f"{PREFIX}:sweep:remind:{offset}"


def sweep_run(day: str) -> str:
    """String with a TTL: the daily sweep of a local day is running (a lock) or done."""
    return f"{PREFIX}:sweep:run:{day}"


def sweep_part(day: str, part: str) -> str:
    """String with a TTL: one part (shard) of a day's sweep is done; ``:lease`` beside it, the
    lease of the clock sweeping it (a Redis Cluster's sweep is shared out by shard)."""
    return f"{PREFIX}:sweep:part:{day}:{part}"


def sweep_stagger(day: str) -> str:
    """Counter: places in the push schedule taken by the parts of a day's sweep."""
    return f"{PREFIX}:sweep:stagger:{day}"


def push_window() -> str:
    """Sorted set with a TTL: the pushes of the last second over all workers, by time (µs)."""
    return f"{PREFIX}:push:window"


def line_quota() -> str:
    """String with a TTL (the next month's start): when LINE said the monthly limit was reached."""
    return f"{PREFIX}:line:quota"


def api_rate(key_hash: str, minute: int) -> str:
    """Counter with a TTL: POS requests made with one API key (by its hash) in a clock minute."""
    return _key_counter(key_hash, f"rate:{minute}")


def card_failures(key_hash: str, minute: int) -> str:
    """Counter with a TTL: unknown, forged or stale card codes one API key sent in a minute."""
    return _key_counter(key_hash, f"cardfail:{minute}")


def _key_counter(key_hash: str, name: str) -> str:
    """A counter of one API key: tagged by the key on a Redis Cluster, where its counters are
    counted in one transaction."""
    if _tags:
        return f"{PREFIX}:apikey:{{{key_hash}}}:{name}"
    return f"{PREFIX}:apikey:{key_hash}:{name}"


def card_image(digest: str) -> str:
    """String with a TTL: a rendered card image (PNG bytes, about 20 KB), by the digest of what
    it shows and of the design (bot/imaging/card_cache.py). The TTL is what remains of the
    image URL's validity, an hour at most."""
    return f"{PREFIX}:cardimg:{digest}"


def tickets(member_id: str) -> str:
    """Hash: the member's reward tickets, ticket number (4 digits) -> JSON record
    (bot/store/tickets.py)."""
    return f"{member(member_id)}:tickets"


def ticket_due_index(shard_tag: str = "") -> str:
    """Sorted set: ``<member id>|<ticket number>`` of unused tickets, scored by when each stops
    being usable (unix s); the sweep reminds and expires from it."""
    return _in(shard_tag, "ticketdue")


def reward_issued(reward_key: str) -> str:
    """Counter: tickets of a reward with limited stock exchanged so far (never decreases)."""
    return f"{PREFIX}:reward:{{{reward_key}}}:issued"


def ticket_use(store_id: str, transaction_id: str) -> str:
    """String: ``<member id> <fingerprint>`` claiming a store's ticket-use transaction id."""
    return f"{PREFIX}:store:{{{store_id}}}:ticketuse:{transaction_id}"


def exchange_op(nonce: str) -> str:
    """The ledger operation key of an exchange of points for a ticket (the nonce of the
    confirm button the shopper tapped)."""
    return f"e:{nonce}"


def goal_op(goal_id: str) -> str:
    """The ledger operation key of a goal ticket: once per member and goal."""
    return f"g:{goal_id}"


def ticket_use_op(store_id: str, transaction_id: str) -> str:
    """The operation key of a ticket used at a store under a transaction id."""
    return f"u:{store_id}:{transaction_id}"


def beacons() -> str:
    """Hash: LINE Beacon hardware id -> the store whose entrance it is at."""
    return f"{PREFIX}:beacons"


def member_visits(member_id: str) -> str:
    """Hash: the member's check-ins: ``total``, ``month`` (YYYY-MM) and ``month_count``,
    ``last`` (``<store id>|<unix s>`` of the last check-in), and the op keys of the check-in
    records kept: ``day_ops`` of the day ``ops_day``, ``prev_ops`` of ``prev_day`` (comma
    separated; bot/store/lua/check_in.lua)."""
    return f"{member(member_id)}:visits"


def visit_op(store_id: str, day: str) -> str:
    """The ledger operation key of a check-in: once per member, store and local day."""
    return f"v:{store_id}:{day}"


def members_index(shard_tag: str = "") -> str:
    """Sorted set: every member id, scored by when they joined (unix ms)."""
    return _in(shard_tag, "idx:members")


def active_index(shard_tag: str = "") -> str:
    """Sorted set: member id -> their last purchase or check-in (unix s), at any store."""
    return _in(shard_tag, "idx:active")


def store_active_index(store_id: str, shard_tag: str = "") -> str:
    """Sorted set: member id -> their last purchase or check-in at one store (unix s)."""
    if shard_tag:
        return _in(shard_tag, f"idx:store:{store_id}:active")
    return f"{PREFIX}:idx:store:{{{store_id}}}:active"


def campaign(campaign_id: str) -> str:
    """Hash: a notice send's state: what it sends to whom (fingerprint), how many members,
    which batches LINE accepted (``b:<n>``), when it started."""
    if _tags:  # with its member list in one transaction
        return f"{PREFIX}:campaign:{{{campaign_id}}}"
    return f"{PREFIX}:campaign:{campaign_id}"


def campaign_members(campaign_id: str) -> str:
    """List: the member ids a notice send resolved its segment to, frozen at its first run."""
    return f"{campaign(campaign_id)}:members"


def stats_day(day: str, shard_tag: str = "") -> str:
    """Hash with a TTL: the day's figures (local day YYYY-MM-DD): purchases, amount, points
    earned, used, expired, refunds, tickets, check-ins (bot/store/stats.py)."""
    return _in(shard_tag, f"stats:{day}")


def store_stats_day(store_id: str, day: str, shard_tag: str = "") -> str:
    """Hash with a TTL: one store's figures of a local day."""
    if shard_tag:
        return _in(shard_tag, f"stats:{store_id}:{day}")
    return f"{PREFIX}:stats:{{{store_id}}}:{day}"


def blocked_index(shard_tag: str = "") -> str:
    """Set: the ids of members who blocked the account (unfollowed)."""
    return _in(shard_tag, "idx:blocked")


def campaign_index() -> str:
    """Sorted set: campaign ids, scored by when they last sent (unix s)."""
    return f"{PREFIX}:campaigns"


def language_index(language: str, shard_tag: str = "") -> str:
    """Set: the ids of members whose LINE profile language is ``language`` (ja or en)."""
    return _in(shard_tag, f"idx:lang:{language}")


def member_index_complete() -> str:
    """String: set once the members registered before the member indexes were added to them."""
    return f"{PREFIX}:idx:members:complete"


def archive_forget() -> str:
    """Set: ids of deleted members whose archived history lines the next daily sweep removes
    from the archive files (bot/operations/history_archive.py)."""
    return f"{PREFIX}:archive:forget"


def archive_lock() -> str:
    """String with a TTL: held while a process appends to or rewrites the history archive
    files, so a purge never replaces a file another process is appending to."""
    return f"{PREFIX}:archive:lock"


def keeper_lock() -> str:
    """String with a TTL, on the queues' Redis: held by the one process keeping the queues
    (bot/jobs/keeper.py)."""
    return f"{PREFIX}:jobs:keeper"


def cluster_migration() -> str:
    """String, on a Redis Cluster (and the queues' new Redis): ``copying:<token of the copy>``
    while ``cluster migrate`` copies a single Redis into it or after it stopped half-way,
    ``done`` once it has (bot/store/cluster_copy.py)."""
    return f"{PREFIX}:migration"


class Placement(NamedTuple):
    """Where a key of a single Redis goes on a Redis Cluster (``cluster_placement``)."""

    #: ``copy``: the whole key to ``name``; ``by_member``: each entry (a member id, or
    #: ``<member id>|...``) to ``per_shard(the member's shard)``; ``every_shard``: the whole
    #: key to ``per_shard(tag)`` of every shard; ``drop``: not copied (a minute's counters).
    how: str
    name: str = ""
    per_shard: Callable[[str], str] | None = None


_DAY = r"(\d{4}-\d{2}-\d{2})"
_BY_MEMBER: dict[str, Callable[[str], str]] = {
    "due": due_index,
    "outbox": outbox_index,
    "ticketdue": ticket_due_index,
    "idx:members": members_index,
    "idx:active": active_index,
    "idx:blocked": blocked_index,
}
#: Single-Redis names that stay as they are on a cluster: by prefix, then whole names.
_SAME_PREFIXES = (
    "card:", "handle:", "event:", "cardimg:", "staff:{staff}:", "sweep:run:", "sweep:part:",
    "sweep:stagger:",
)  # fmt: skip
_SAME_NAMES = (
    "push:window", "line:quota", "beacons", "campaigns", "idx:members:complete",
    "archive:forget", "archive:lock", "outbox:dead",
)  # fmt: skip
_SAME_PATTERN = re.compile(r"(store|reward):\{[^}]*\}:(txn:|grants:|ticketuse:|issued$).*")


def cluster_placement(name: str, kind: str) -> Placement | None:
    """Where the single-Redis key ``name`` (of Redis type ``kind``) goes on a Redis Cluster;
    None for a name the bot never writes. Call inside ``named_for_cluster``."""
    if not _tags:
        raise RuntimeError("cluster_placement names cluster keys: call it in named_for_cluster")
    if not name.startswith(f"{PREFIX}:"):
        return None
    rest = name[len(PREFIX) + 1 :]
    if found := re.fullmatch(r"m:\{([0-9a-f]+)\}(.*)", rest):
        return Placement("copy", member(found[1]) + found[2])
    if rest in _BY_MEMBER:
        return Placement("by_member", per_shard=_BY_MEMBER[rest])
    if rest in _SAME_NAMES or rest.startswith(_SAME_PREFIXES) or _SAME_PATTERN.fullmatch(rest):
        return Placement("copy", name)
    if found := re.fullmatch(r"idx:lang:(\w+)", rest):
        return Placement("by_member", per_shard=functools.partial(language_index, found[1]))
    if found := re.fullmatch(r"idx:store:\{([^}]*)\}:active", rest):
        return Placement("by_member", per_shard=functools.partial(store_active_index, found[1]))
    if found := re.fullmatch(r"sweep:remind:(.+)", rest):
        return Placement("every_shard", per_shard=functools.partial(reminder_watermark, found[1]))
    # A day's figures are summed over the shards by their readers: the first shard holds them.
    if found := re.fullmatch(rf"stats:\{{([^}}]*)\}}:{_DAY}", rest):
        return Placement("copy", store_stats_day(found[1], found[2], _tags[0]))
    if found := re.fullmatch(rf"stats:{_DAY}", rest):
        return Placement("copy", stats_day(found[1], _tags[0]))
    if found := re.fullmatch(r"store:\{([^}]*)\}", rest):
        return Placement("copy", store(found[1]))
    if rest in ("stores", "stores:complete"):
        return Placement("copy", store_index() if rest == "stores" else store_index_complete())
    if found := re.fullmatch(r"apikey:([0-9a-f]{64})", rest):
        return Placement("copy", api_key(found[1]))
    if re.fullmatch(r"apikey:[0-9a-f]{64}:(rate|cardfail):\d+", rest) or rest == "jobs:keeper":
        return Placement("drop")  # a minute's counters; the lock of a keeper now stopped
    if found := re.fullmatch(r"campaign:(.+)", rest):
        if kind == "list" and found[1].endswith(":members"):
            return Placement("copy", campaign_members(found[1].removesuffix(":members")))
        return Placement("copy", campaign(found[1]))
    return None
