"""The Redis repository: members, stores and POS transactions, changed only by atomic steps."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import NamedTuple

import redis

from bot.domain.card_codes import Credentials, new_handle, new_secret
from bot.domain.cards import DEFAULT_PREFIX, new_member_number
from bot.domain.records import Member, Store
from bot.store import keys
from bot.store.clients import connect, mget  # noqa: F401  (connect: for callers)
from bot.store.rate_limit import KeyCheck, KeyUse, hash_key
from bot.store.scripts import script

log = logging.getLogger(__name__)

#: The languages members are indexed by (bot/messages/texts.py serves these).
LANGUAGES = ("ja", "en")
#: How many random member numbers (or code handles) to try before giving up: a number collides
#: about once in 10^10 tries, a handle once in 9 x 10^7 / members.
NUMBER_ATTEMPTS = 8
#: maxmemory policies that never evict keys without a TTL; ledger keys never have one.
#: How many API keys a process remembers the store of (a chain has one per till or store).
KEY_CACHE_SIZE = 10_000
#: How long a process keeps a store's record (name) before reading it again, in seconds.
STORE_CACHE_SECONDS = 60
SAFE_EVICTION_POLICIES = frozenset(
    {"noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}
)


class StoreError(Exception):
    """Base class for repository errors the caller can act on."""


class UnsafeRedisError(StoreError):
    """The Redis server is configured in a way that could lose ledger data."""


class DuplicateStoreError(StoreError):
    """A store with this id already exists."""


def check_eviction_policy(client: redis.Redis) -> None:
    """Refuse a Redis whose ``maxmemory-policy`` could evict ledger keys."""
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.ResponseError:
        # Managed services may disable CONFIG; their documented default is what we get.
        log.warning("cannot read maxmemory-policy (CONFIG disabled); make sure it is noeviction")
        return
    if policy not in SAFE_EVICTION_POLICIES:
        raise UnsafeRedisError(
            f"Redis maxmemory-policy is {policy!r}, which can evict points data; "
            "set it to 'noeviction' (see README, Production Redis)"
        )


def check_copy_finished(client: redis.Redis) -> None:
    """Refuse a Redis Cluster that ``cluster migrate`` is copying into, or stopped copying into
    half-way: its points would be half there (bot/store/cluster_copy.py)."""
    if (client.get(keys.cluster_migration()) or "").startswith("copying"):
        raise UnsafeRedisError(
            "a 'cluster migrate' into this cluster has not finished: run it again with "
            "--resume (with the single Redis's settings) before starting the bot on it"
        )


#: History entries that a sale or its refund wrote (naming the store and transaction).
_SALE_KINDS = frozenset({"earn", "redeem", "restore", "reverse"})


class SaleReads(NamedTuple):
    """What a sale reads before its step (``LoyaltyStore.sale_lookup``)."""

    binding: tuple[str, str] | None
    member_id: str | None
    use: KeyUse | None
    credentials: Credentials | None


class LoyaltyStore:
    """Members, stores and transactions in one Redis database."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        #: store id -> (monotonic time the entry expires, the store)
        self._stores: dict[str, tuple[float, Store]] = {}
        #: API key hash -> store id, as last checked (see ``store_for_key_hash``)
        self._key_stores: dict[str, str] = {}
        self._register = script(client, "register_member")
        self._set_preference = script(client, "set_preference")
        self._sale_lookup = script(client, "sale_lookup")

    # -- members -----------------------------------------------------------------------

    def register_member(
        self,
        line_user_id: str,
        display_name: str,
        language: str,
        prefix: str = DEFAULT_PREFIX,
        now: float | None = None,
    ) -> tuple[Member, bool]:
        """Create the member for a LINE user, or refresh an existing one; True when created.

        A new member gets a member number starting with ``prefix`` and the handle and secret
        of rotating card codes."""
        member_id = keys.member_id_for(line_user_id)
        joined = str(int((time.time() if now is None else now) * 1000))
        existing = self.redis.hget(keys.member(member_id), "number")
        number = existing or self._claim_number(member_id, prefix)
        handle = "" if existing else self._claim_handle(member_id)
        shard = keys.shard(member_id)
        created, kept = self._register(
            keys=[
                keys.member(member_id),
                keys.members_index(shard),
                keys.language_index(language, shard),
                *(keys.language_index(other, shard) for other in LANGUAGES if other != language),
            ],
            args=[
                line_user_id,
                number,
                display_name,
                language,
                joined,
                handle,
                new_secret(),
                member_id,
            ],
        )
        if existing:
            self.redis.srem(keys.blocked_index(shard), member_id)  # back from blocking, if so
        if not existing and kept != number:
            # A concurrent registration won; release what this one claimed.
            self.redis.delete(keys.card_number(number), keys.card_handle(handle))
        member = self.member(member_id)
        assert member is not None
        return member, bool(created)

    def _claim_number(self, member_id: str, prefix: str) -> str:
        for _ in range(NUMBER_ATTEMPTS):
            number = new_member_number(prefix)
            if self.redis.set(keys.card_number(number), member_id, nx=True):
                return number
        raise StoreError("could not allocate a unique member number")

    def _claim_handle(self, member_id: str) -> str:
        for _ in range(NUMBER_ATTEMPTS):
            handle = new_handle()
            if self.redis.set(keys.card_handle(handle), member_id, nx=True):
                return handle
        raise StoreError("could not allocate a unique card code handle")

    # -- rotating card codes -----------------------------------------------------------

    def code_credentials(self, member_id: str) -> Credentials | None:
        """A member's code handle, secret and use counter; None if there is no such member.

        Members registered before rotating codes get a handle and a secret on first use."""
        key = keys.member(member_id)
        number, handle, secret, counter = self.redis.hmget(
            key, "number", "handle", "code_secret", "code_counter"
        )
        if number is None:
            return None
        if not handle or not secret:
            if not handle:
                handle = self._claim_handle(member_id)
                if not self.redis.hsetnx(key, "handle", handle):
                    # Another process gave this member a handle first; keep that one.
                    self.redis.delete(keys.card_handle(handle))
            self.redis.hsetnx(key, "code_secret", new_secret())
            handle, secret, counter = self.redis.hmget(key, "handle", "code_secret", "code_counter")
        return Credentials(handle=handle, secret=secret, counter=int(counter or 0))

    def member_id_by_handle(self, handle: str) -> str | None:
        """The member id owning a code handle, or None."""
        return self.redis.get(keys.card_handle(handle))

    def code_holder(self, member_id: str, step: int, counter: int) -> str | None:
        """Which transaction took a rotating code, or None while it is unused."""
        return self.redis.get(keys.code_use(member_id, step, counter))

    def member(self, member_id: str) -> Member | None:
        """The member with this id, or None."""
        data = self.redis.hgetall(keys.member(member_id))
        if not data:
            return None
        return Member(
            member_id=member_id,
            line_user_id=data["uid"],
            number=data["number"],
            display_name=data.get("name", ""),
            language=data.get("lang", "ja"),
            balance=int(data.get("balance", 0)),
            active=data.get("status") == "active",
            reminders=data.get("reminders", "on") != "off",
            promotions=data.get("promotions", "on") != "off",
            opted_in=data.get("opt_in") == "yes",
        )

    def member_for_user(self, line_user_id: str) -> Member | None:
        """The member registered for a LINE user, or None."""
        return self.member(keys.member_id_for(line_user_id))

    def member_id_indexed(self, index_key: str) -> str | None:
        """The member id a card index key (a member number's or a code handle's) names."""
        return self.redis.get(index_key)

    def member_id_by_number(self, number: str) -> str | None:
        """The member id owning a member number, or None."""
        return self.redis.get(keys.card_number(number))

    def set_reminders(self, member_id: str, enabled: bool) -> bool:
        """Turn the member's expiry reminders and notices on or off; False if no such member."""
        value = "on" if enabled else "off"
        return bool(self._set_preference(keys=[keys.member(member_id)], args=["reminders", value]))

    def index_older_members(self) -> int:
        """Add the members registered before the member indexes to them (joined, language,
        blocked, and their last purchase within the rank window as their last activity): one
        SCAN of the keyspace, once ever; returns how many were added."""
        if keys.cluster() or self.redis.exists(keys.member_index_complete()):
            return 0  # a cluster holds no members of versions before the indexes
        prefix = keys.member("")[:-1]  # "loyalty:m:{"
        added = 0
        batch: list[str] = []

        def flush() -> int:
            with self.redis.pipeline(transaction=False) as pipe:
                for member_id in batch:
                    pipe.hmget(keys.member(member_id), "joined", "lang", "status")
                    pipe.zrange(keys.member_ledger(member_id).spend, -1, -1, withscores=True)
                answers = iter(pipe.execute())
            with self.redis.pipeline(transaction=False) as pipe:
                for member_id in batch:
                    (joined, lang, status), last = next(answers), next(answers)
                    pipe.zadd(keys.members_index(), {member_id: int(joined or 0)}, nx=True)
                    pipe.sadd(keys.language_index(lang or "ja"), member_id)
                    if status != "active":
                        pipe.sadd(keys.blocked_index(), member_id)
                    if last:
                        pipe.zadd(keys.active_index(), {member_id: last[0][1]}, nx=True)
                pipe.execute()
            return len(batch)

        for name in self.redis.scan_iter(match=f"{prefix}*", count=1000):
            if not name.endswith("}"):
                continue  # a member's other keys (lots, history, ...)
            batch.append(name[len(prefix) : -1])
            if len(batch) == 500:
                added += flush()
                batch = []
        if batch:
            added += flush()
        self.redis.set(keys.member_index_complete(), 1)
        return added

    def set_promotions(self, member_id: str, enabled: bool, *, opt_in: bool = False) -> bool:
        """Turn the member's promotional notices on or off (``opt_in``: and record that they
        said yes); False if no such member."""
        args = ["promotions", "on" if enabled else "off"]
        if not self._set_preference(keys=[keys.member(member_id)], args=args):
            return False
        if opt_in and enabled:
            self._set_preference(keys=[keys.member(member_id)], args=["opt_in", "yes"])
        return True

    def delete_member(self, member_id: str) -> bool:
        """Forget a member entirely: card indexes first (the card stops working), then every
        key of theirs. False if there is no such member."""
        data = self.redis.hgetall(keys.member(member_id))
        if not data:
            return False
        for index in (
            keys.card_number(data.get("number", "")),
            keys.card_handle(data.get("handle", "")),
        ):
            if self.redis.get(index) == member_id:
                self.redis.delete(index)
        # Out of the member indexes that segments are chosen from.
        shard = keys.shard(member_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrem(keys.members_index(shard), member_id)
            pipe.srem(keys.blocked_index(shard), member_id)
            for language in LANGUAGES:
                pipe.srem(keys.language_index(language, shard), member_id)
            pipe.zrem(keys.active_index(shard), member_id)
            for store_id in self.store_ids():
                pipe.zrem(keys.store_active_index(store_id, shard), member_id)
            pipe.execute()
        # Their unused tickets leave the ticket due index (the sweep would drop them anyway).
        numbers = self.redis.hkeys(keys.tickets(member_id))
        if numbers:
            entries = (f"{member_id}|{n}" for n in numbers)
            self.redis.zrem(keys.ticket_due_index(shard), *entries)
        # Every key of the member by its name, no scan of the keyspace. Left to expire: a card
        # code's use record (minutes; a store, a transaction id and a body's digest), reminder
        # markers of an older version (one key each), and the records (90 days) of sales whose
        # history entries were archived already.
        self.redis.delete(
            *self._operation_records(member_id),
            *keys.member_ledger(member_id)[1:],
            keys.tickets(member_id),
            keys.member_visits(member_id),
            keys.outbox(member_id),
            keys.member_reminders(member_id),
            keys.replication_mark(member_id),
        )
        # Their archived history leaves the archive files at the next daily sweep.
        self.redis.sadd(keys.archive_forget(), member_id)
        self.redis.delete(keys.member(member_id))  # last: a half-done delete can be rerun
        return True

    def _operation_records(self, member_id: str) -> list[str]:
        """The idempotency record keys of the sales and refunds the member's history names."""
        found = set()
        for raw in self.redis.lrange(keys.member_ledger(member_id).history, 0, -1):
            entry = json.loads(raw)
            if "s" in entry and "ref" in entry and entry["k"] in _SALE_KINDS:
                for op_key in (
                    keys.purchase_op(entry["s"], entry["ref"]),
                    keys.refund_op(entry["s"], entry["ref"]),
                ):
                    found.add(keys.operation_record(member_id, op_key))
        return sorted(found)

    def deactivate(self, line_user_id: str) -> bool:
        """Mark a member inactive (no pushes); points are kept. True if the member exists."""
        key = keys.member(keys.member_id_for(line_user_id))
        # Only an existing member: an unfollow from a stranger must not create a record.
        if not self.redis.exists(key):
            return False
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "status", "inactive")
            member_id = keys.member_id_for(line_user_id)
            pipe.sadd(keys.blocked_index(keys.shard(member_id)), member_id)
            pipe.execute()
        return True

    # -- stores ------------------------------------------------------------------------

    def add_store(self, store_id: str, name: str) -> str:
        """Register a store (``store_id`` in canonical form) and return its new API key (only
        its hash is kept). DuplicateStoreError if a store has this id in any case."""
        existing = self.resolve_store_id(store_id)
        if existing is not None:
            raise DuplicateStoreError(existing)
        api_key, key_hash = _new_key()
        store_key = keys.store(store_id)

        def create(pipe: redis.client.Pipeline) -> bool:
            if pipe.exists(store_key):
                return False
            pipe.multi()
            pipe.hset(store_key, mapping={"name": name, "key_hash": key_hash})
            pipe.set(keys.api_key(key_hash), store_id)
            pipe.sadd(keys.store_index(), store_id)
            return True

        # One transaction, watched: a store is never left without its key or its index entry.
        if not self.redis.transaction(create, store_key, value_from_callable=True):
            raise DuplicateStoreError(store_id)
        return api_key

    def resolve_store_id(self, store_id: str) -> str | None:
        """The id an existing store is kept under, for a canonical (upper-case) id: itself, or
        the id of a store registered before ids were case-insensitive (``s002`` for
        ``S002``). None if there is no such store."""
        if self.redis.exists(keys.store(store_id)):
            return store_id
        wanted = store_id.upper()
        return next((found for found in self.store_ids() if found.upper() == wanted), None)

    def store_ids(self) -> list[str]:
        """Every registered store's id, sorted."""
        if not keys.cluster() and not self.redis.exists(keys.store_index_complete()):
            self._index_older_stores()  # a cluster holds no stores of earlier versions
        return sorted(self.redis.smembers(keys.store_index()))

    def _index_older_stores(self) -> None:
        """Add the stores registered before the store index to it: one SCAN, once ever."""
        prefix = keys.store("")[:-1]  # the store hash name up to the id: "...:store:{"
        found = [
            name[len(prefix) : -1]
            for name in self.redis.scan_iter(match=keys.store_pattern(), count=1000, _type="hash")
        ]
        with self.redis.pipeline(transaction=True) as pipe:
            if found:
                pipe.sadd(keys.store_index(), *found)
            pipe.set(keys.store_index_complete(), "1")
            pipe.execute()

    def rename_store(self, store_id: str, name: str) -> bool:
        """Give a store a new name (receipts and histories show it); False if no such store."""
        store_key = keys.store(store_id)

        def rename(pipe: redis.client.Pipeline) -> bool:
            if not pipe.exists(store_key):
                return False  # never a half store: a name without a key
            pipe.multi()
            pipe.hset(store_key, "name", name)
            return True

        renamed = self.redis.transaction(rename, store_key, value_from_callable=True)
        self._stores.pop(store_id, None)
        return bool(renamed)

    def store_summaries(self) -> list[tuple[str, str, bool]]:
        """(id, name, whether it has an API key) of every store, by id; no key material."""
        ids = self.store_ids()
        with self.redis.pipeline(transaction=False) as pipe:
            for store_id in ids:
                pipe.hmget(keys.store(store_id), "name", "key_hash")
            rows = pipe.execute()
        return [
            (store_id, name or store_id, bool(key_hash))
            for store_id, (name, key_hash) in zip(ids, rows, strict=True)
        ]

    def rotate_key(self, store_id: str) -> str | None:
        """Replace a store's API key; the old one stops working at once. None if no store.

        One transaction (watched, against a concurrent rotation), so a key maps to a store
        exactly while it is that store's key."""
        api_key, key_hash = _new_key()
        store_key = keys.store(store_id)

        def swap(pipe: redis.client.Pipeline) -> bool:
            old = pipe.hget(store_key, "key_hash")
            if not pipe.exists(store_key):
                return False
            pipe.multi()
            pipe.set(keys.api_key(key_hash), store_id)
            pipe.hset(store_key, "key_hash", key_hash)
            if old:
                pipe.delete(keys.api_key(old))
            return True

        if not self.redis.transaction(swap, store_key, value_from_callable=True):
            return None
        return api_key

    def store_name(self, store_id: str) -> str:
        """A store's name, or its id if it has none."""
        return self.redis.hget(keys.store(store_id), "name") or store_id

    def store(self, store_id: str, now: float | None = None) -> Store:
        """A store's record, kept in this process for STORE_CACHE_SECONDS: the POS path reads
        it on every request, and a store's name rarely changes."""
        now = time.monotonic() if now is None else now
        cached = self._stores.get(store_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = Store(store_id=store_id, name=self.store_name(store_id))
        self._stores[store_id] = (now + STORE_CACHE_SECONDS, found)
        return found

    def store_for_api_key(self, api_key: str) -> Store | None:
        """The store an API key belongs to, or None for an unknown or revoked key."""
        store_id = self.redis.get(keys.api_key(hash_key(api_key)))
        return None if store_id is None else self.store(store_id)

    # -- transactions ------------------------------------------------------------------

    def sale_lookup(
        self, store_id: str, transaction_id: str, card_index: str, key: KeyCheck | None = None
    ) -> SaleReads:
        """In one round trip (reads only): the (member id, fingerprint) a store's transaction
        id is bound to, or None; the member id the card index key names, or None; what the
        request's ``key`` check read (not yet counted); and, on one Redis, the code credentials
        of the member the card index names (None where they need ``code_credentials``)."""
        wanted = [keys.store_transaction(store_id, transaction_id), card_index]
        wanted += key.read_keys() if key is not None else []
        credentials = None
        if keys.cluster():
            # One MGET: five reads cost one command's parsing (the cluster client splits it).
            replies = mget(self.redis, wanted)
        else:
            # A member key's name before and after the member id: the script builds it.
            replies = self._sale_lookup(keys=wanted, args=keys.member("\0").split("\0"))
            number, handle, secret, counter = replies[len(wanted) :]
            if number is not None and handle and secret:
                credentials = Credentials(handle=handle, secret=secret, counter=int(counter or 0))
        use = key.settle(replies[2 : len(wanted)]) if key is not None else None
        return SaleReads(_binding(replies[0]), replies[1], use, credentials)

    def count(self, key: KeyCheck) -> None:
        """Count a request against its key on its own (a sale refused before its writes)."""
        with self.redis.pipeline(transaction=False) as pipe:
            key.count(pipe)
            pipe.execute()

    def store_for_key_hash(self, key_hash: str) -> str | None:
        """The store id this process last saw for an API key (by its hash), if any: a sale
        builds its first round trip from it, and that round trip checks the key again."""
        return self._key_stores.get(key_hash)

    def forget_key(self, key_hash: str) -> None:
        """Forget a key that turned out unknown or revoked."""
        self._key_stores.pop(key_hash, None)

    def remember_key(self, key_hash: str, store_id: str) -> None:
        """Remember which store a checked API key belongs to (see ``store_for_key_hash``)."""
        if len(self._key_stores) >= KEY_CACHE_SIZE:
            self._key_stores.clear()
        self._key_stores[key_hash] = store_id

    def transaction_binding(self, store_id: str, transaction_id: str) -> tuple[str, str] | None:
        """The member id and body fingerprint a store's transaction id is bound to, or None."""
        return _binding(self.redis.get(keys.store_transaction(store_id, transaction_id)))

    def transaction_member(self, store_id: str, transaction_id: str) -> str | None:
        """The member a store's transaction id was applied to, or None if never seen."""
        claim = self.redis.get(keys.store_transaction(store_id, transaction_id))
        return claim.partition(" ")[0] if claim else None

    # -- webhook events ----------------------------------------------------------------


def _binding(claim: str | None) -> tuple[str, str] | None:
    """A transaction binding's member id and body fingerprint."""
    if not claim:
        return None
    member_id, _, fingerprint = claim.partition(" ")
    return member_id, fingerprint


def _new_key() -> tuple[str, str]:
    api_key = "sk_" + secrets.token_urlsafe(32)
    return api_key, hash_key(api_key)
