"""Routing as data: routes (a kind of input → a handler) and conversations (a step → routes).

As in python-telegram-bot, groups are tried in order and the first that takes an input answers
it; a group that does not take it passes (None). A conversation picks its routes by the step
the user is at: its entry points at none, else that step's routes and then its fallbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from bot.handlers.base import Context, Handler, Kind, MessageJson
from bot.log import user_ref
from bot.messages.postbacks import Action

log = logging.getLogger(__name__)

S = TypeVar("S")


@dataclass(frozen=True)
class Route:
    """Inputs of ``kind`` (and, if given, ``when`` they pass the check) go to ``handler``."""

    kind: Kind
    handler: Handler
    #: A further check on the input, like python-telegram-bot's filters.
    when: Callable[[Context], bool] | None = None

    def matches(self, ctx: Context) -> bool:
        """Say whether this route takes the input."""
        return ctx.kind == self.kind and (self.when is None or self.when(ctx))


class Group(Protocol):
    """Something that answers an input or passes it on."""

    def handle(self, ctx: Context) -> list[MessageJson] | None:
        """The reply, or None to let the next group try."""


@dataclass(frozen=True)
class Routes:
    """An ordered table: the first route that matches answers."""

    routes: tuple[Route, ...]

    def handle(self, ctx: Context) -> list[MessageJson] | None:
        """The first matching route's reply, or None."""
        return _first(self.routes, ctx)


@dataclass(frozen=True)
class Conversation(Generic[S]):
    """A conversation with steps, held only with those ``admit`` lets in.

    Postbacks naming one of its actions belong to it: anyone it does not admit gets nothing
    for them (postback data comes from the client and proves nothing). Messages it does not
    take pass on to the next group.
    """

    #: The context with what the conversation needs of the user (read once), or None.
    admit: Callable[[Context], Context | None]
    #: The step an admitted user is at, or None when they are at none.
    step: Callable[[Context], S | None]
    entry_points: tuple[Route, ...]
    states: Mapping[S, tuple[Route, ...]]
    fallbacks: tuple[Route, ...]

    @property
    def kinds(self) -> frozenset[Kind]:
        """Every kind of input some route of the conversation takes."""
        routes = [*self.entry_points, *self.fallbacks]
        routes += [route for step_routes in self.states.values() for route in step_routes]
        return frozenset(route.kind for route in routes)

    def routes_at(self, step: S | None) -> tuple[Route, ...]:
        """The routes tried, in order, for a user at ``step``."""
        if step is None:
            return self.entry_points
        return (*self.states[step], *self.fallbacks)

    def handle(self, ctx: Context) -> list[MessageJson] | None:
        """The reply of the route the user's step picks; None if the conversation passes."""
        # Checked first, so inputs no route takes cost no look-up of the user.
        if ctx.kind not in self.kinds:
            return None
        admitted = self.admit(ctx)
        if admitted is None:
            if isinstance(ctx.kind, Action):
                log.warning("%s refused for %s", ctx.kind.value, user_ref(ctx.user_id))
                return []
            return None
        return _first(self.routes_at(self.step(admitted)), admitted)


def _first(routes: tuple[Route, ...], ctx: Context) -> list[MessageJson] | None:
    for route in routes:
        if route.matches(ctx):
            return route.handler(ctx)
    return None
