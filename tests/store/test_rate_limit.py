"""Per-key limits: card failures in a sliding minute, so no burst fits across a boundary."""

from __future__ import annotations

import pytest

from bot.store import keys
from bot.store.rate_limit import KeyCheck, hash_key, sliding, use_key


@pytest.mark.parametrize(
    ("current", "previous", "second", "expected"),
    [(0, 0, 0, 0), (5, None, 30, 5), (0, 60, 0, 60), (0, 60, 30, 30), (0, 60, 59, 1),
     (10, 30, 15, 32)],
)  # fmt: skip
def test_sliding_counts_the_last_minute_by_how_much_of_it_is_inside(
    current, previous, second, expected
):
    assert sliding(current, previous, 1_800_000_000 // 60 * 60 + second) == expected


def test_failures_just_before_a_minute_boundary_still_count_after_it(services, store_key):
    minute = 1_800_000_000 // 60
    failures = keys.card_failures(hash_key(store_key), minute - 1)
    services.store.redis.set(failures, 40, ex=120)
    use = use_key(services.store.redis, KeyCheck(store_key, now=minute * 60 + 1))
    assert use.card_failures == 39  # 40 x 59/60 of the last minute is still inside
