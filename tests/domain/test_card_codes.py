"""Rotating card codes: valid inside their window, expired after it, forged ones refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import card_codes
from bot.domain.card_codes import Credentials, Verdict, check, issue

KEY = card_codes.derive_key("k" * 48)
WINDOW = 300
NOW = 1_795_000_000
MEMBER = Credentials(handle="48213377", secret="ab" * 16, counter=0)


def test_code_shape_is_sixteen_digits_starting_with_the_handle():
    issued = issue(KEY, MEMBER, NOW, WINDOW)
    assert len(issued.code) == 16
    assert issued.code.isdigit()
    assert issued.code.startswith(MEMBER.handle)
    assert card_codes.looks_like_code(issued.code)
    assert card_codes.handle_of(issued.code) == MEMBER.handle


def test_valid_until_is_a_whole_minute_four_to_five_minutes_ahead():
    for offset in range(0, 120, 7):
        issued = issue(KEY, MEMBER, NOW + offset, WINDOW)
        assert issued.expires_at % 60 == 0
        assert 240 < issued.expires_at - (NOW + offset) <= 300


@given(
    now=st.integers(min_value=10**9, max_value=4 * 10**9),
    window=st.integers(min_value=card_codes.MIN_WINDOW, max_value=card_codes.MAX_WINDOW),
    counter=st.integers(min_value=0, max_value=10**6),
)
def test_valid_in_its_window_expired_from_its_end(now, window, counter):
    member = Credentials("10000000", "secret", counter)
    issued = issue(KEY, member, now, window)
    assert issued.expires_at - now > window - card_codes.step_seconds(window)
    for moment in (now, issued.expires_at - 1):
        assert check(KEY, member, issued.code, moment, window).verdict is Verdict.VALID
    late = check(KEY, member, issued.code, issued.expires_at, window)
    assert late.verdict is Verdict.EXPIRED
    assert late.expires_at == issued.expires_at


def test_stale_codes_are_expired_for_a_while_then_unknown():
    issued = issue(KEY, MEMBER, NOW, WINDOW)
    horizon = card_codes.EXPIRED_WINDOWS * WINDOW
    assert check(KEY, MEMBER, issued.code, NOW + horizon - 120, WINDOW).verdict is Verdict.EXPIRED
    assert check(KEY, MEMBER, issued.code, NOW + horizon + 120, WINDOW).verdict is Verdict.FORGED


def test_a_code_from_a_slightly_fast_clock_is_accepted():
    # Issued by a process whose clock runs a few seconds ahead, checked at a step boundary.
    issued = issue(KEY, MEMBER, NOW - NOW % 60 + 60, WINDOW)
    assert check(KEY, MEMBER, issued.code, NOW - NOW % 60 + 58, WINDOW).verdict is Verdict.VALID


def _forgeries(code: str) -> list[str]:
    changed_mac = code[:-1] + str((int(code[-1]) + 1) % 10)
    changed_counter = code[:8] + str((int(code[8]) + 1) % 10) + code[9:]
    return [changed_mac, changed_counter, code[:8] + "0000000" + code[-1], code[::-1], "0" * 16]


def test_forged_codes_are_refused():
    code = issue(KEY, MEMBER, NOW, WINDOW).code
    for forged in _forgeries(code):
        assert check(KEY, MEMBER, forged, NOW, WINDOW).verdict is Verdict.FORGED, forged


@pytest.mark.parametrize(
    "other",
    [
        Credentials(MEMBER.handle, "cd" * 16, 0),  # another secret (a new card)
        Credentials("48213378", MEMBER.secret, 0),  # another member's handle
    ],
)
def test_a_code_only_fits_its_own_member(other):
    code = issue(KEY, MEMBER, NOW, WINDOW).code
    assert check(KEY, other, code, NOW, WINDOW).verdict is Verdict.FORGED


def test_another_server_key_cannot_make_codes():
    code = issue(card_codes.derive_key("x" * 48), MEMBER, NOW, WINDOW).code
    assert check(KEY, MEMBER, code, NOW, WINDOW).verdict is Verdict.FORGED


def test_each_use_gives_a_new_code_in_the_same_minute():
    codes = [issue(KEY, Credentials(MEMBER.handle, MEMBER.secret, n), NOW, WINDOW).code
             for n in range(25)]  # fmt: skip
    assert len(set(codes)) == 25
    # The counter has moved on by one use: the shown code is still valid, and so is the old one
    # (the till's record of uses, not the code, stops a replay).
    later = Credentials(MEMBER.handle, MEMBER.secret, 1)
    assert check(KEY, later, codes[0], NOW, WINDOW).verdict is Verdict.VALID
    assert check(KEY, later, codes[0], NOW, WINDOW).counter == 0
    assert check(KEY, later, codes[1], NOW, WINDOW).counter == 1


def test_checks_report_the_step_and_counter_that_identify_a_code():
    a = check(KEY, MEMBER, issue(KEY, MEMBER, NOW, WINDOW).code, NOW, WINDOW)
    b = check(KEY, MEMBER, issue(KEY, MEMBER, NOW + 60, WINDOW).code, NOW + 60, WINDOW)
    assert (a.verdict, b.verdict) == (Verdict.VALID, Verdict.VALID)
    assert b.step == a.step + 1
    assert a.counter == b.counter == 0


@pytest.mark.parametrize(
    "value", ["", "123", "2912345678903", "0123456789012345", "12345678901234567", "１" * 16]
)
def test_what_does_not_look_like_a_code(value):
    assert not card_codes.looks_like_code(value)


def test_handles_are_eight_digits_without_a_leading_zero():
    handles = {card_codes.new_handle() for _ in range(500)}
    assert len(handles) == 500
    assert all(len(h) == 8 and h[0] != "0" and h.isdigit() for h in handles)
