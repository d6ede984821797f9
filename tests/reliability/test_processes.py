"""Faults as they happen to a deployment: the Procfile's real processes with production delays
(backoff, heartbeats, locks), one process or Redis SIGKILLed in the middle of a burst of
sales and taps while LINE fails, then counted: every sale answered and granted once, every
receipt and reply delivered once, every process alive, all within a minute of the fault."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox.embedded_redis import EmbeddedRedis
from tests.reliability.deployment import PUSH, REPLY, Deployment, free_port, wait_for

SALES = 40
TAPS = 16
#: The promise: after any fault, everything is done this long after it.
RECOVERY = 60


@pytest.fixture
def deployment(fake_line, tmp_path):
    with tempfile.TemporaryDirectory(prefix="rl") as tmp:
        redis = EmbeddedRedis(Path(tmp)).start()
        deployed = Deployment(redis, fake_line, tmp_path, free_port())
        try:
            deployed.start()
            deployed.ready()
            yield deployed
        finally:
            deployed.stop()
            redis.stop()


def _burst(deployed: Deployment, pool: ThreadPoolExecutor):
    """SALES sales (one per shopper, so each has one receipt) and TAPS taps, at once."""
    key = deployed.store_key()
    shoppers = deployed.members(SALES + TAPS)
    sales = [pool.submit(deployed.sale, key, m, n) for n, m in enumerate(shoppers[:SALES])]
    taps = [pool.submit(deployed.tap, m.line_user_id) for m in shoppers[SALES:]]
    return shoppers, sales, taps


def _check_counts(deployed: Deployment, shoppers, sales, taps) -> None:
    answers = [s.result() for s in sales]
    assert sorted(a["points_earned"] for a in answers) == sorted(
        (1000 + n) // 100 for n in range(SALES)
    )
    balances = {a["member_number"]: a["balance"] for a in answers}
    for shopper in shoppers[:SALES]:  # granted once: what the till was told is what is kept
        assert deployed.services.store.member(shopper.member_id).balance == balances[shopper.number]
    tokens = [t.result() for t in taps]
    wait_for(
        lambda: len(deployed.receipts_by_user()) == SALES,
        RECOVERY,
        lambda: f"{len(deployed.receipts_by_user())} of {SALES} receipts; {deployed.jobs()}",
    )
    wait_for(lambda: set(deployed.replies_by_token()) >= set(tokens), RECOVERY, "every reply")
    time.sleep(2)  # anything sent twice would arrive now
    assert set(deployed.receipts_by_user().values()) == {1}
    assert set(deployed.line.deliveries_by_retry_key().values()) == {1}
    assert {deployed.replies_by_token()[t] for t in tokens} == {1}


@pytest.mark.parametrize("victim", ["pusher", "worker", "clock", "keeper", "web"])
def test_a_process_killed_mid_burst_loses_and_repeats_nothing(deployment, victim):
    line = deployment.line
    line.set_delay(PUSH, 0.3)
    line.set_delay(REPLY, 0.3)
    line.fail_randomly(PUSH, 0.3, statuses=(500, 503, 429), accept_first=0.5, seed=13)
    with ThreadPoolExecutor(8) as pool:
        shoppers, sales, taps = _burst(deployment, pool)
        wait_for(lambda: len(line.recorded(PUSH)) >= 8, 60, "pushes under way")
        name = deployment.keeper() if victim == "keeper" else victim
        deployment.kill(name)
        killed = time.monotonic()
        time.sleep(1.0)  # the supervisor notices and starts it again
        deployment.start(name)
        _check_counts(deployment, shoppers, sales, taps)
    took = time.monotonic() - killed
    assert took < RECOVERY
    assert all(deployment.alive().values()), deployment.alive()
    assert {r.status for r in line.recorded(PUSH)} >= {500, 503, 429}  # the faults did happen
    print(f"\n{name} SIGKILLed mid-burst: all answered and delivered once {took:.1f} s later")


def test_redis_killed_under_pos_load_loses_no_receipt_and_no_process(deployment):
    line = deployment.line
    line.fail_randomly(PUSH, 0.3, statuses=(500, 503, 429), accept_first=0.5, seed=17)
    with ThreadPoolExecutor(8) as pool:
        shoppers, sales, taps = _burst(deployment, pool)
        wait_for(lambda: len(line.recorded(PUSH)) >= 5, 60, "sales under way")
        deployment.redis.kill()
        time.sleep(3.0)  # down long enough for every process to notice
        deployment.redis.start()
        back = time.monotonic()
        _check_counts(deployment, shoppers, sales, taps)
    took = time.monotonic() - back
    assert took < RECOVERY
    assert all(deployment.alive().values()), deployment.alive()
    wait_for(deployment.healthy, 10, "/healthz 200")
    print(f"\nRedis SIGKILLed under load: all answered and delivered once {took:.1f} s later")


def test_storms_and_a_slow_line_deliver_everything_once(deployment):
    line = deployment.line
    line.set_delay("/v2/", 3.0)  # every LINE call takes 3 s
    line.fail_randomly(
        PUSH, 0.2, statuses=(500, 502, 503), accept_first=0.5, delay_rate=0.1, delay=6.0, seed=19
    )
    line.fail_next(PUSH, 429, count=10)  # a burst of rate limiting
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        shoppers, sales, taps = _burst(deployment, pool)
        _check_counts(deployment, shoppers, sales, taps)
    took = time.monotonic() - began
    answers = {r.status for r in line.recorded(PUSH)}
    assert {500, 429, 409} <= answers  # 409: a timed-out push LINE had taken, sent again
    assert all(deployment.alive().values()), deployment.alive()
    print(f"\nslow LINE with storms: all answered and delivered once in {took:.1f} s")
