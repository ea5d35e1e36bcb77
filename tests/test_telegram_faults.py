"""Telegram misbehaving while the bot answers: every fault injected at the emulator (or a flaky proxy in front
of it), and every time the answer arrives exactly once."""
from __future__ import annotations

import asyncio
import logging

import pytest

import reliability
from bot_harness import engine_with_llm, running_bot, sentinel, until
from flaky_proxy import FlakyProxy

BYTEDANCE = "字节跳动在中国有多少GPU？"
WRITTEN = "字节跳动在中国境内拥有超过50万个GPU[1]。"


@pytest.fixture
def llm_engine(scripted_llm, index_settings, embedder):
    return engine_with_llm(scripted_llm.base_url, index_settings, embedder)


def answers(emu, chat) -> list[dict]:
    return [m for m in emu.bot_messages(chat) if "50万" in (m["text"] or "")]


async def ask_privately(emu, text: str = BYTEDANCE):
    user = emu.user()
    chat = emu.private_chat(user)
    await emu.asend(chat, user, text)
    return chat, user


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_send_survives_flood_waits_and_server_errors(app, emu, status):
    emu.fail_next("sendMessage", status=status, retry_after=1, times=2)
    chat, user = await ask_privately(emu)
    [answer] = await sentinel(emu, chat, user)
    assert "50万" in answer["text"] and answer["reply_markup"]
    assert len(emu.calls("sendMessage")) == 3 + 1      # two failures, one delivery; the sentinel's reply
    reliability.record("Telegram: 429 RetryAfter on send" if status == 429 else "Telegram: 5xx on send",
                       injected=f"emulator answers sendMessage with {status} twice", cases=1)


async def test_send_survives_dropped_connections(emu, engine, tmp_path):
    emu.reset()
    with FlakyProxy(emu.api_root) as proxy:
        async with running_bot(emu, engine, tmp_path, telegram_api_base_url=proxy.api_root):
            proxy.drop_next("sendMessage", times=2)
            chat, user = await ask_privately(emu)
            [answer] = await sentinel(emu, chat, user)
    assert "50万" in answer["text"] and proxy.dropped == 2
    reliability.record("Telegram: network error (connection dropped)",
                       injected="TCP proxy closes the connection of 2 sendMessage requests", cases=1)


async def test_html_refused_by_telegram_falls_back_to_plain_text(app, emu):
    emu.fail_next("sendMessage", status=400, description="Bad Request: can't parse entities: Unsupported start tag")
    chat, user = await ask_privately(emu)
    [answer] = await sentinel(emu, chat, user)
    assert answer["parse_mode"] is None and "<b>" not in answer["text"]
    assert "50万" in answer["text"] and "来源" in answer["text"] and answer["reply_markup"]
    reliability.record("Telegram: 400 can't parse entities", injected="emulator refuses the HTML once", cases=1)


async def test_bot_removed_from_a_group_loses_nothing_else(app, emu, caplog):
    user = emu.user()
    group = emu.group()
    emu.fail_next("sendMessage", status=403, description="Forbidden: bot was kicked from the group chat",
                  chat_id=group)
    await emu.asend(group, user, f"/ask {BYTEDANCE}")
    emu.kick_bot(group, by=user)
    chat, _ = await ask_privately(emu)                  # the bot carries on elsewhere
    await emu.await_bot_messages(chat)
    assert emu.bot_messages(group) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    reliability.record("Telegram: bot removed from a group",
                       injected="403 'bot was kicked' on the answer, then a my_chat_member update", cases=1)


@pytest.mark.slow                    # each waits for a streamed answer written over ≈ 4 s
class TestStreamingEdits:
    """Faults on the throttled edits of a group answer being written by the LLM."""

    async def ask_in_group(self, emu, scripted_llm, group=None):
        user = emu.user()
        group = group or emu.supergroup()
        # previews show checked sentences only: the first sentence is sent (and a preview posted), then the model
        # pauses past the group edit interval (3 s, under the 5 s read timeout), so the rest is one preview edit
        # and then the final answer: a placeholder, an edit of it and the final edit
        written = WRITTEN + "它是Oracle最大的GPU客户[1]。" * 3
        scripted_llm.fail("stall_mid_stream", seconds=3.5, after_chunks=len(WRITTEN) // 2 + 2, text=written,
                          chunk_size=2)
        await emu.asend(group, user, f"/ask {BYTEDANCE}")
        return group, user

    @pytest.mark.parametrize("status", [429, 503])
    async def test_edit_survives_flood_waits_and_server_errors(self, emu, llm_engine, scripted_llm, tmp_path, status):
        emu.reset()
        async with running_bot(emu, llm_engine, tmp_path):
            emu.fail_next("editMessageText", status=status, retry_after=1, times=2)
            group, user = await self.ask_in_group(emu, scripted_llm)
            [answer] = await sentinel(emu, group, user)
        assert answer["text"].startswith(WRITTEN) and answer["reply_markup"] and "来源" in answer["text"]
        reliability.record("Telegram: 429 RetryAfter on edit" if status == 429 else "Telegram: 5xx on edit",
                           injected=f"emulator answers editMessageText with {status} twice", cases=1)

    async def test_not_modified_is_a_success(self, emu, llm_engine, scripted_llm, tmp_path):
        emu.reset()
        async with running_bot(emu, llm_engine, tmp_path):
            emu.fail_next("editMessageText", status=400, description=(
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"))
            group, user = await self.ask_in_group(emu, scripted_llm)
            [answer] = await sentinel(emu, group, user)
        assert answer["reply_markup"] and "来源" in answer["text"]
        assert len(emu.calls("editMessageText")) >= 2      # the refused preview edit, then the final one
        reliability.record("Telegram: message is not modified", injected="emulator answers a preview edit with it",
                           cases=1)

    async def test_vanished_message_gets_the_answer_as_a_new_message(self, emu, llm_engine, scripted_llm, tmp_path):
        emu.reset()
        async with running_bot(emu, llm_engine, tmp_path):
            emu.fail_next("editMessageText", status=400, times=100,
                          description="Bad Request: message to edit not found")
            group, user = await self.ask_in_group(emu, scripted_llm)
            finals = [m for m in await sentinel(emu, group, user) if "来源" in m["text"]]
        assert len(finals) == 1 and finals[0]["reply_markup"]
        reliability.record("Telegram: message to edit not found", injected="emulator answers every edit with it",
                           cases=1)

    async def test_group_migrated_to_a_supergroup_mid_answer(self, emu, llm_engine, scripted_llm, tmp_path):
        emu.reset()
        async with running_bot(emu, llm_engine, tmp_path) as app:
            group = emu.group()
            _, user = await self.ask_in_group(emu, scripted_llm, group)
            await emu.await_bot_messages(group, timeout=30)                 # the preview is up
            supergroup = await asyncio.to_thread(emu.migrate_group, group)
            # timing window: the question's turn belongs to the old chat id, so no sentinel in the supergroup queues
            # behind it; 0.5 s without a change says no second final answer follows
            [answer] = await emu.await_bot_messages(supergroup, text_contains="来源", timeout=30, settle=0.5)
            assert answer["reply_markup"]
            store = app.bot_data["services"].store
            await until(lambda: store.db.execute("SELECT COUNT(*) FROM answer_messages WHERE chat_id = ?",
                                                 (supergroup["id"],)).fetchone()[0] >= 1)
            assert store.db.execute("SELECT COUNT(*) FROM questions WHERE chat_id = ?", (group["id"],)).fetchone() == (0,)
        reliability.record("Telegram: group migrated to a supergroup",
                           injected="emulator migrates the group while the answer is being written", cases=1)


async def test_a_failing_llm_still_answers_every_question_and_stats_show_the_open_circuit(emu, llm_engine, scripted_llm,
                                                                                       tmp_path):
    from bot_harness import ADMIN_ID

    emu.reset()
    async with running_bot(emu, llm_engine, tmp_path):
        user = emu.user()
        chat = emu.private_chat(user)
        for _ in range(4):                              # 3 failures open the circuit; the 4th is not even tried
            scripted_llm.fail("status", status=500)
        for question in (BYTEDANCE, "华为在2018年遭禁后是怎么获取材料的？", BYTEDANCE, "英伟达的H20有多少被运往中国？"):
            await emu.asend(chat, user, question)
        replies = await emu.await_bot_messages(chat, count=4, timeout=30)
        assert all(r["text"].startswith("（语言模型暂不可用，以下为文章原文摘录）") for r in replies)
        assert all(r["reply_markup"] for r in replies) and len(scripted_llm.requests) == 3
        admin = emu.user(id=ADMIN_ID)
        await emu.asend(emu.private_chat(admin), admin, "/stats")
        [stats] = await emu.await_bot_messages(emu.private_chat(admin))
    assert "熔断器：open for" in stats["text"] and "scripted-model" in stats["text"]
    for secret in (emu.token, "test-key", scripted_llm.base_url):
        assert secret not in stats["text"]
    reliability.record("LLM: endpoint failing behind the bot (fallback answers, circuit in /stats)",
                       injected="scripted server answers 500; 4 questions through Telegram", cases=4)
