"""Who may ask, and how often: the allowlists, the admins, a per-user cooldown and a per-chat rate.
State is in memory: a restart forgives everyone, which is the right failure for a rate limit."""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from ..settings import Settings

WINDOW_S = 60.0
_PRUNE_AT = 10_000     # tracked users/chats before old entries are dropped


@dataclass(frozen=True)
class Wait:
    key: str           # messages key: "cooldown" | "chat_busy"
    seconds: int       # how long to wait


class Limits:
    def __init__(self, settings: Settings, clock=time.monotonic):
        self.allowed_chats = settings.allowed_chat_ids
        self.allowed_users = settings.allowed_user_ids
        self.admins = settings.admin_user_ids
        self.cooldown_s = settings.user_cooldown_s
        self.per_minute = settings.chat_questions_per_minute
        self.clock = clock
        self._last_question: dict[int, float] = {}      # user id -> when their last question was accepted
        self._chat_questions: dict[int, deque[float]] = {}
        self._told_until: dict[tuple[int, int | None], float] = {}   # (chat, user) -> end of the wait we announced

    def is_admin(self, user_id: int | None) -> bool:
        return user_id in self.admins

    def allowed(self, chat_id: int, user_id: int | None) -> bool:
        """No allowlist: everyone. Otherwise a listed chat (everyone in it), a listed user (anywhere) or an admin."""
        if not self.allowed_chats and not self.allowed_users:
            return True
        return chat_id in self.allowed_chats or user_id in self.allowed_users or self.is_admin(user_id)

    def take(self, chat_id: int, user_id: int | None) -> Wait | None:
        """Count a question against the limits; a Wait says why it may not be asked now."""
        now = self.clock()
        last = self._last_question.get(user_id)
        if user_id is not None and last is not None and now - last < self.cooldown_s:
            return Wait("cooldown", math.ceil(self.cooldown_s - (now - last)))
        recent = self._chat_questions.setdefault(chat_id, deque())
        while recent and now - recent[0] >= WINDOW_S:
            recent.popleft()
        if self.per_minute > 0 and len(recent) >= self.per_minute:
            return Wait("chat_busy", math.ceil(WINDOW_S - (now - recent[0])))
        recent.append(now)
        if user_id is not None:
            self._last_question[user_id] = now
        self._prune(now)
        return None

    def should_tell(self, chat_id: int, user_id: int | None, wait: Wait) -> bool:
        """Announce a wait once, not once per message: a flooding user must not make the bot flood the chat."""
        now = self.clock()
        if self._told_until.get((chat_id, user_id), 0.0) > now:
            return False
        self._told_until[(chat_id, user_id)] = now + wait.seconds
        return True

    def _prune(self, now: float) -> None:
        if len(self._told_until) > _PRUNE_AT:
            self._told_until = {k: t for k, t in self._told_until.items() if t > now}
        if len(self._last_question) > _PRUNE_AT:
            self._last_question = {u: t for u, t in self._last_question.items() if now - t < self.cooldown_s}
        if len(self._chat_questions) > _PRUNE_AT:
            self._chat_questions = {c: q for c, q in self._chat_questions.items() if q and now - q[-1] < WINDOW_S}
