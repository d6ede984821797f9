"""X-Line-Retry-Key values: one logical message, one key, however often it is queued or sent.

LINE remembers a retry key for 24 hours and answers 409 to a repeat, so a deterministic key
(a UUID5 of what the message is) makes every attempt, retry and re-queue deliver it once.
"""

from __future__ import annotations

import uuid

#: Namespace of the deterministic retry keys: one logical message, one key, forever.
RETRY_KEY_NAMESPACE = uuid.UUID("6f0c1a8e-5d43-4b8e-9a51-3c2f7d9e4b10")


def receipt_retry_key(store_id: str, transaction_id: str) -> str:
    """The X-Line-Retry-Key of a transaction's receipt: the same for every attempt and re-queue."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"receipt:{store_id}:{transaction_id}"))


def refund_notice_retry_key(store_id: str, transaction_id: str) -> str:
    """The retry key of the notice that a store's transaction was refunded (or undone)."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"refund:{store_id}:{transaction_id}"))


def adjustment_retry_key(op_key: str) -> str:
    """The retry key of the notice of an admin's adjustment, once per its operation key."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"adjust:{op_key}"))


def reminder_retry_key(member_id: str, offset: str, last_day: str) -> str:
    """The retry key of the reminder for one member, offset and last day of use."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"reminder:{member_id}:{offset}:{last_day}"))


def expired_retry_key(member_id: str, last_entry: int) -> str:
    """The retry key of the expiry notice whose last expiry entry is at ledger index
    ``last_entry`` (a rerun after a crash finds the same entries, so the same key)."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"expired:{member_id}:{last_entry}"))


def reply_retry_key(event_id: str) -> str:
    """The retry key of the push that stands in for a refused reply to one webhook event."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"reply:{event_id}"))


def ticket_retry_key(member_id: str, op_key: str) -> str:
    """The retry key of the push of a ticket given by itself (a goal), once per operation."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"ticket:{member_id}:{op_key}"))


def ticket_reminder_retry_key(member_id: str, ticket_number: str, offset: str) -> str:
    """The retry key of the reminder before a ticket's last day, once per ticket and offset."""
    return str(
        uuid.uuid5(RETRY_KEY_NAMESPACE, f"ticketremind:{member_id}:{ticket_number}:{offset}")
    )


def rank_up_retry_key(member_id: str, rank: str, spend: int) -> str:
    """The retry key of the message saying the member reached ``rank`` with this spend."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"rankup:{member_id}:{rank}:{spend}"))
