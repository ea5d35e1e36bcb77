"""The limits as a schedule (bot/telegram/limits.py), on a fake clock: a question over a limit gets a later slot
instead of a refusal, in order; each chat hears about waiting once per window, each sender once per stretch of
waiting; only a flood is refused."""
from __future__ import annotations

import dataclasses

import pytest

from bot.settings import Settings
from bot.telegram.limits import MAX_WAIT_S, MAX_WAITING, WINDOW_S, Limits


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits(**overrides) -> tuple[Limits, Clock]:
    clock = Clock()
    settings = dataclasses.replace(Settings(), **dict(dict(user_cooldown_s=3.0, chat_questions_per_minute=20),
                                                      **overrides))
    return Limits(settings, clock=clock), clock


def test_a_second_question_within_the_cooldown_waits_for_its_slot_and_is_told_once():
    lim, clock = limits()
    assert lim.admit(1, 7).delay == 0
    clock.now += 0.3
    second = lim.admit(1, 7)
    assert second.delay == pytest.approx(2.7) and not second.refused and second.notice == "queued" and second.seconds == 3
    third = lim.admit(1, 7)                              # same stretch of waiting: queued behind, not told again
    assert third.delay == pytest.approx(5.7) and third.notice is None


def test_one_senders_flood_is_capped_and_told_once():
    lim, clock = limits()
    admitted = [lim.admit(1, 7) for _ in range(10)]
    waiting = [a for a in admitted if not a.refused and a.delay > 0]
    refused = [a for a in admitted if a.refused]
    assert len(waiting) == MAX_WAITING and len(refused) == 10 - 1 - MAX_WAITING
    assert [a.notice for a in admitted if a.notice] == ["queued"]            # one notice for the whole flood
    for _ in range(MAX_WAITING):
        lim.done_waiting(1, 7)
    clock.now += 60
    assert lim.admit(1, 7).delay == 0                                       # later, all is forgiven


def test_twenty_two_askers_in_a_minute_two_wait_and_the_chat_is_told_once():
    lim, clock = limits()
    admitted = []
    for user in range(22):
        admitted.append(lim.admit(-100, user))
        clock.now += 1.0
    assert [a.delay for a in admitted[:20]] == [0] * 20
    assert all(0 < a.delay <= MAX_WAIT_S and not a.refused for a in admitted[20:])
    assert [a.notice for a in admitted if a.notice] == ["chat_queued"]
    assert admitted[20].delay == WINDOW_S - 20          # the first slot frees a minute after the first question


def test_a_hundred_askers_in_a_minute_the_chat_hears_it_is_busy_once():
    lim, clock = limits()
    admitted = []
    for user in range(100):
        admitted.append(lim.admit(-100, user))
        clock.now += 0.5
    assert sum(a.delay == 0 and not a.refused for a in admitted) == 20
    assert 0 < sum(a.delay > 0 and not a.refused for a in admitted) <= 20       # the next minute's room
    assert sum(a.refused for a in admitted) >= 60
    assert [a.notice for a in admitted if a.notice] == ["chat_queued"]          # queued or refused: told once


def test_a_sender_slot_more_than_a_minute_away_is_refused():
    lim, clock = limits(user_cooldown_s=25.0)
    admitted = [lim.admit(1, 7) for _ in range(4)]
    assert [a.delay for a in admitted[:3]] == [0, 25, 50] and admitted[3].refused


def test_no_limits_no_waiting():
    lim, clock = limits(user_cooldown_s=0.0, chat_questions_per_minute=0)
    assert all(lim.admit(1, 7).delay == 0 for _ in range(100))
