"""Who may ask, and how often: the allowlists, the admins, a per-sender cooldown and a per-chat rate.

A question over a limit is not dropped: it gets a slot in the future and waits for it (the handler sleeps,
holding its sender's turn, so that sender's questions are answered in the order asked). Only a flood is
refused: more than MAX_WAITING questions of one sender waiting, or a slot further away than MAX_WAIT_S.
A chat hears that it is busy at most once per window (queued or refused, whoever asks), a sender that they
wait once per stretch of waiting: a flood must not make the bot flood the chat. State is in memory: a restart forgives everyone, which is the right
failure for a rate limit (questions that were waiting are answered after the restart: see answering.py)."""
from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass

from ..settings import Settings

WINDOW_S = 60.0
MAX_WAIT_S = WINDOW_S    # a slot further away than this is refused: the asker would have moved on
MAX_WAITING = 3          # one sender's questions waiting at once; more is a flood
_PRUNE_AT = 10_000       # tracked senders/chats before old entries are dropped


@dataclass(frozen=True)
class Admission:
    delay: float               # seconds to wait before answering (0: now)
    refused: bool = False      # a flood: not answered
    notice: str | None = None  # messages key to say now ("queued", "chat_queued", "flood"), at most once
    seconds: int = 0           # for the notice


class Limits:
    def __init__(self, settings: Settings, clock=time.monotonic):
        self.allowed_chats = settings.allowed_chat_ids
        self.allowed_users = settings.allowed_user_ids
        self.admins = settings.admin_user_ids
        self.cooldown_s = settings.user_cooldown_s
        self.per_minute = settings.chat_questions_per_minute
        self.clock = clock
        self._next_slot: dict[int, float] = {}           # sender -> their last slot
        self._chat_slots: dict[int, list[float]] = {}    # chat -> slots given in the last window (sorted)
        self._waiting: dict[tuple[int, int | None], int] = {}   # (chat, sender) -> questions waiting
        self._told_sender: dict[tuple[int, int | None], float] = {}   # -> until when we said they wait
        self._told_chat: dict[int, float] = {}                        # chat -> until when we said it is busy

    def is_admin(self, user_id: int | None) -> bool:
        return user_id in self.admins

    def allowed(self, chat_id: int | None, user_id: int | None) -> bool:
        """No allowlist: everyone. Otherwise a listed chat (everyone in it), a listed user (anywhere) or an admin.
        Without a chat (inline queries) only the user can be checked."""
        if not self.allowed_chats and not self.allowed_users:
            return True
        return chat_id in self.allowed_chats or user_id in self.allowed_users or self.is_admin(user_id)

    def admit(self, chat_id: int, sender_id: int | None) -> Admission:
        """A slot for a question: now, or after the sender's cooldown and when the chat's minute has room."""
        now = self.clock()
        key = (chat_id, sender_id)
        slot = now
        if sender_id is not None and sender_id in self._next_slot:
            slot = max(slot, self._next_slot[sender_id] + self.cooldown_s)
        sender_slot = slot
        slots = self._chat_slots.setdefault(chat_id, [])
        del slots[:bisect.bisect_right(slots, now - WINDOW_S)]
        if self.per_minute > 0 and len(slots) >= self.per_minute:
            slot = max(slot, slots[-self.per_minute] + WINDOW_S)
        delay, by_chat = slot - now, slot > sender_slot
        waiting = self._waiting.get(key, 0)
        if delay > MAX_WAIT_S and by_chat:          # the chat's minute is full, and the next one too
            notice = "chat_busy" if self._tell_chat(chat_id, now) else None
            return Admission(0.0, refused=True, notice=notice, seconds=math.ceil(WINDOW_S))
        if delay > MAX_WAIT_S or (delay > 0 and waiting >= MAX_WAITING):
            notice = "flood" if self._tell_sender(key, now, now + WINDOW_S) else None
            return Admission(0.0, refused=True, notice=notice, seconds=math.ceil(min(delay, MAX_WAIT_S)))
        bisect.insort(slots, slot)
        if sender_id is not None:
            self._next_slot[sender_id] = slot
        self._prune(now)
        if delay <= 0:
            return Admission(0.0)
        self._waiting[key] = waiting + 1
        if by_chat:
            notice = "chat_queued" if self._tell_chat(chat_id, now) else None
        else:
            notice = "queued" if self._tell_sender(key, now, slot + self.cooldown_s) else None
        return Admission(delay, notice=notice, seconds=math.ceil(delay))

    def done_waiting(self, chat_id: int, sender_id: int | None) -> None:
        key = (chat_id, sender_id)
        left = self._waiting.get(key, 0) - 1
        if left > 0:
            self._waiting[key] = left
        else:
            self._waiting.pop(key, None)

    def _tell_sender(self, key, now: float, until: float) -> bool:
        """Once per stretch of waiting: a sender's next questions (admitted one by one, in their turn) fall
        inside it, up to the end of their queue."""
        told = self._told_sender.get(key, 0.0) > now
        self._told_sender[key] = max(self._told_sender.get(key, 0.0), until)
        return not told

    def _tell_chat(self, chat_id: int, now: float) -> bool:
        if self._told_chat.get(chat_id, 0.0) > now:
            return False
        self._told_chat[chat_id] = now + WINDOW_S
        return True

    def _prune(self, now: float) -> None:
        if len(self._told_sender) > _PRUNE_AT:
            self._told_sender = {k: t for k, t in self._told_sender.items() if t > now}
        if len(self._told_chat) > _PRUNE_AT:
            self._told_chat = {k: t for k, t in self._told_chat.items() if t > now}
        if len(self._next_slot) > _PRUNE_AT:
            self._next_slot = {u: t for u, t in self._next_slot.items() if t + self.cooldown_s > now}
        if len(self._chat_slots) > _PRUNE_AT:
            self._chat_slots = {c: q for c, q in self._chat_slots.items() if q and now - q[-1] < WINDOW_S}
