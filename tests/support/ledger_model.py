"""A plain-Python model of the ledger rules (PRODUCT.md §4), to check the Redis scripts against.

Written from the rules, not from the Lua: lots FIFO by expiry (creation order on ties), a lot
is live while now < expiry, refunds restore used points to their original expiry and take back
earned points from the purchase's own lot first, never below zero; what could not be taken
back is owed. What a refund recovered (from other lots, or as owed) for its lot's points
spent elsewhere shrinks when a later refund gives those points back: the debt first (paid
from them, or forgiven if they come back past their expiry), then the points taken from other
lots, the last taken first, which go back where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.points import earned_points
from bot.domain.program import Program


@dataclass
class ModelLot:
    lot_id: int
    remaining: int
    amount: int
    expires_at: int
    source: str
    #: The purchase lot the points were earned in (itself for a purchase lot).
    origin: int | None = None


@dataclass
class ModelLedger:
    program: Program
    lots: list[ModelLot] = field(default_factory=list)
    history: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, points, balance)
    ops: dict[str, dict] = field(default_factory=dict)
    spends: list[tuple[int, str, int]] = field(default_factory=list)  # (at, key, amount)
    next_id: int = 0
    #: Earned points refunds could not take back yet.
    owed: int = 0
    #: Purchase lot id -> its points that expired unused.
    expired: dict[int, int] = field(default_factory=dict)
    #: Purchase lot id -> what its refund recovered for points of it spent elsewhere: the
    #: debt and the portions (expiry, points) taken from other lots.
    recovery: dict[int, tuple[int, list[list]]] = field(default_factory=dict)
    #: Ticket number -> [state, expiry].
    tickets: dict[str, list] = field(default_factory=dict)

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    @property
    def spend(self) -> int:
        return sum(amount for _, _, amount in self.spends)

    def _ordered(self) -> list[ModelLot]:
        return sorted(self.lots, key=lambda lot: (lot.expires_at, lot.lot_id))

    def _add(self, amount: int, expires_at: int, source: str, origin: int | None = None) -> int:
        self.next_id += 1
        if source == "purchase":
            origin = self.next_id
        self.lots.append(ModelLot(self.next_id, amount, amount, expires_at, source, origin))
        return self.next_id

    def _expired_unused(self, origin: int | None, points: int) -> None:
        if origin is not None and points:
            self.expired[origin] = self.expired.get(origin, 0) + points

    def maintain(self, now: int) -> None:
        for lot in self._ordered():
            if lot.expires_at <= now:
                self.lots.remove(lot)
                self._expired_unused(lot.origin, lot.remaining)
                self.history.append(("expire", -lot.remaining, self.balance))
        cutoff = now - self.program.ranks.window.approx_seconds()
        self.spends = [s for s in self.spends if s[0] > cutoff]

    def _take(self, amount: int, first: int | None = None) -> list[tuple[int, int, int | None]]:
        taken = []
        order = self._ordered()
        # Stable: the purchase's own points first (its lot, and points of it a refund
        # restored), then FIFO.
        order.sort(key=lambda lot: first is None or lot.origin != first)
        for lot in order:
            if amount == 0:
                break
            n = min(lot.remaining, amount)
            lot.remaining -= n
            amount -= n
            taken.append((lot.expires_at, n, lot.origin))
            if lot.remaining == 0:
                self.lots.remove(lot)
        return taken

    def purchase(self, now, key, fingerprint, amount, used, expires_at) -> tuple:
        if key in self.ops:
            op = self.ops[key]
            if op["fp"] != fingerprint:
                return ("conflict",)
            return ("replayed", op["bal"], op["earned"], op["used"], op["spend"])
        self.maintain(now)
        if used > self.balance:
            return ("insufficient", self.balance, 0, used, self.spend)
        multiplier = self.program.ranks.for_spend(self.spend).multiplier
        taken = self._take(used)
        if used:
            self.history.append(("redeem", -used, self.balance))
        earned = earned_points(self.program.earn, amount, used, multiplier)
        lot = None
        if earned:
            lot = self._add(earned, expires_at, "purchase")
            self.history.append(("earn", earned, self.balance))
        self.spends.append((now, key, amount))
        self.ops[key] = {
            "fp": fingerprint, "bal": self.balance, "earned": earned, "used": used,
            "spend": self.spend, "taken": taken, "lot": lot, "amount": amount,
        }  # fmt: skip
        return ("applied", self.balance, earned, used, self.spend)

    def _took(self, lot: ModelLot, points: int) -> None:
        lot.remaining -= points
        if lot.remaining == 0:
            self.lots.remove(lot)

    def _came_back(
        self, origin: int | None, points: int, now: int, lot: ModelLot | None
    ) -> tuple[int, int]:
        """``points`` of ``origin``'s lot came back: live in ``lot``, or past their expiry
        (None). What the refund of ``origin``'s purchase recovered for them shrinks: its debt
        first (paid from ``lot``, or forgiven), then the portions it took from other lots,
        last taken first, which go back where they came from (in exchange for points of
        ``lot``), and come back in turn. Returns the debt forgiven and the debt paid."""
        if origin not in self.recovery:
            return 0, 0
        owed, back = self.recovery[origin]
        debt = min(points, owed)
        owed, points = owed - debt, points - debt
        forgiven, paid = (debt, 0) if lot is None else (0, debt)
        if lot is not None and debt:
            self._took(lot, debt)
        while points and back:
            expires_at, n, cover_origin = back[-1]
            k = min(points, n)
            back[-1][1] -= k
            points -= k
            if back[-1][1] == 0:
                back.pop()
            # Saved before going on: the cover's own points may come back to this record.
            self.recovery[origin] = (owed, back)
            if lot is not None:
                self._took(lot, k)
            if expires_at > now:
                cover_id = self._add(k, expires_at, "refund", cover_origin)
                cover = next(c for c in self.lots if c.lot_id == cover_id)
                more = self._came_back(cover_origin, k, now, cover)
            else:
                self._expired_unused(cover_origin, k)
                more = self._came_back(cover_origin, k, now, None)
            forgiven, paid = forgiven + more[0], paid + more[1]
            if origin not in self.recovery:
                break
            owed, back = self.recovery[origin]
        if owed or back:
            self.recovery[origin] = (owed, back)
        else:
            self.recovery.pop(origin, None)
        return forgiven, paid

    def refund(self, now, key, purchase_key) -> tuple:
        if key in self.ops:
            op = self.ops[key]
            return ("replayed", op["bal"], op["reversed"], op["restored"], op["short"], op["spend"])
        if purchase_key not in self.ops:
            return ("not_found", 0, 0, 0, 0, 0)
        self.maintain(now)
        purchase = self.ops[purchase_key]
        restored = forgiven = paid = 0
        before = self.balance
        for expires_at, n, origin in purchase["taken"]:
            if expires_at > now:
                lot_id = self._add(n, expires_at, "refund", origin)
                lot = next(lot for lot in self.lots if lot.lot_id == lot_id)
                more = self._came_back(origin, n, now, lot)
                restored += n
            else:
                self._expired_unused(origin, n)
                more = self._came_back(origin, n, now, None)
            forgiven, paid = forgiven + more[0], paid + more[1]
        self.owed -= forgiven + paid
        if restored or self.balance != before:
            self.history.append(("restore", self.balance - before, self.balance))
        earned = purchase["earned"] - self.expired.get(purchase["lot"], 0)
        want = min(earned, self.balance)
        taken = self._take(want, first=purchase["lot"])
        reversed_ = sum(n for _, n, _ in taken)
        if purchase["earned"]:
            self.history.append(("reverse", -reversed_, self.balance))
        self.spends = [s for s in self.spends if s[1] != purchase_key]
        short = earned - reversed_
        self.owed += short
        covers = [[e, n, origin] for e, n, origin in taken if origin != purchase["lot"]]
        if purchase["lot"] is not None and (short or covers):
            self.recovery[purchase["lot"]] = (short, covers)
        self.ops[key] = {
            "bal": self.balance, "reversed": reversed_, "restored": restored, "short": short,
            "spend": self.spend,
        }  # fmt: skip
        return ("applied", self.balance, reversed_, restored, short, self.spend)

    def adjust(self, now, key, fingerprint, amount, expires_at) -> tuple:
        if key in self.ops:
            op = self.ops[key]
            return ("conflict", 0) if op["fp"] != fingerprint else ("replayed", op["bal"])
        self.maintain(now)
        if amount < 0 and -amount > self.balance:
            return ("insufficient", self.balance)
        if amount > 0:
            self._add(amount, expires_at, "adjustment")
        else:
            self._take(-amount)
        self.history.append(("adjust", amount, self.balance))
        self.ops[key] = {"fp": fingerprint, "bal": self.balance}
        return ("applied", self.balance)

    def exchange(self, now, key, cost, expires_at) -> tuple:
        """Points for a ticket, once per key (issue_ticket.lua, without stock)."""
        if key in self.ops:
            op = self.ops[key]
            return ("replayed", op["bal"], op["no"])
        self.maintain(now)
        if cost > self.balance:
            return ("insufficient", self.balance, "")
        number = f"{len(self.tickets) + 1:04d}"
        if cost:
            self._take(cost)
        self.history.append(("exchange", -cost, self.balance))
        self.tickets[number] = ["active", expires_at]
        self.ops[key] = {"bal": self.balance, "no": number}
        return ("applied", self.balance, number)

    def use_ticket(self, now, key, number) -> str:
        """A ticket used once per key (use_ticket.lua)."""
        if key in self.ops:
            return "replayed"
        self.maintain(now)
        state, expires_at = self.tickets[number]
        if state == "used":
            return "used"
        if state != "active" or now >= expires_at:
            return "expired"
        self.tickets[number][0] = "used"
        self.history.append(("use", 0, self.balance))
        self.ops[key] = {"no": number}
        return "applied"

    def expire_tickets(self, now) -> int:
        """Unused tickets past their last moment, in expiry order (expire_tickets.lua)."""
        self.maintain(now)
        expired = 0
        for _, ticket in sorted(self.tickets.items(), key=lambda item: (item[1][1], item[0])):
            if ticket[0] == "active" and now >= ticket[1]:
                ticket[0] = "expired"
                self.history.append(("ticket_expire", 0, self.balance))
                expired += 1
        return expired
