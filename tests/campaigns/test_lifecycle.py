"""Lifecycle messages: reaching a rank says so once, and every push carries its kind as
LINE's custom aggregation unit."""

from __future__ import annotations

from bot.domain.records import PushIntent
from bot.store import keys

PUSH = "/v2/bot/message/push"


def test_a_rank_up_is_pushed_once_with_its_benefit(client, store_key, member, card_code,
                                                  run_jobs, fake_line):  # fmt: skip
    headers = {"Authorization": f"Bearer {store_key}"}
    body = {"transaction_id": "T1", "card_code": card_code(member), "amount": 30_000}
    assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/transactions", json=body, headers=headers).status_code == 201
    more = {"transaction_id": "T2", "card_code": card_code(member), "amount": 1_000}
    assert client.post("/api/v1/transactions", json=more, headers=headers).status_code == 201
    run_jobs()
    texts = [m.get("text", "") for m in fake_line.messages_for(member.line_user_id)]
    rank_ups = [t for t in texts if "ランクが" in t]
    assert rank_ups == [
        "ランクが「シルバー」になりました!\nこれからのお買い物では、ポイントが1.5倍たまります。"
    ]
    units = sorted(r.json["customAggregationUnits"][0] for r in fake_line.recorded(PUSH))
    assert units == ["rank_up", "receipt", "receipt"]


def test_a_once_only_push_and_its_marker_are_written_together(services, member):
    push = PushIntent("rank_up", "k-1", {"rank": "silver"}, urgent=True)
    ops, outbox = keys.member_ledger(member.member_id).ops, keys.outbox(member.member_id)
    redis = services.store.redis
    assert services.outbox.put_once(member.member_id, push, "ru:silver:30000", 0) is True
    assert redis.hget(ops, "ru:silver:30000") == "1"
    assert redis.hexists(outbox, "k-1")
    redis.hdel(outbox, "k-1")  # the relay queued it and forgot it
    again = PushIntent("rank_up", "k-2", {"rank": "silver"}, urgent=True)
    assert services.outbox.put_once(member.member_id, again, "ru:silver:30000", 0) is False
    assert redis.hlen(outbox) == 0  # said once, even under another retry key
