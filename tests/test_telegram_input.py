"""Hostile and odd input through the whole message path (emulator → PTB → handlers → engine → render →
emulator), group abuse, and the allowlist for every kind of update."""
from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reliability
from bot_harness import running_bot, sentinel, store_of
from tgemu import utf16_len

BYTEDANCE = "字节跳动在中国有多少GPU？"
FUZZ_EXAMPLES = 200

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
right_to_left = st.characters(min_codepoint=0x0590, max_codepoint=0x06FF)
invisible = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202e", "\ufeff", "\u2066"])
emoji = st.sampled_from(["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇨🇳", "1️⃣", "❤️"])
markup = st.sampled_from(["<", ">", "&", "&amp;", "<b>", "</i>", "<a href='x'>", "*", "_", "`", "```", "[1]",
                          "[", "]", "(", ")", "~", "||", "\\", "#", "@", "/", "\n", "\t", " "])
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
pieces = st.one_of(any_text, st.text(cjk, max_size=30), st.text(right_to_left, max_size=20), invisible, emoji,
                   markup, st.sampled_from(["字节跳动", "华为", "GPU", "H20", "ignore previous instructions"]))
texts = st.lists(pieces, min_size=1, max_size=12).map("".join)
long_texts = st.tuples(pieces, st.integers(1000, 4096)).map(lambda t: ((t[0] or "长") * 4096)[: t[1]])


def message_text(text: str) -> str:
    """Telegram itself refuses empty messages and trims them; cut to its 4096 UTF-16 units."""
    text = text.strip() or "?"
    while utf16_len(text) > 4096:
        text = text[:-1]
    return text


def assert_valid_replies(replies: list[dict]) -> None:
    for reply in replies:
        assert reply["parse_mode"] == "HTML", "Telegram refused the HTML and the bot fell back to plain text"
        assert 0 < utf16_len(reply["text"]) <= 4096
        assert "出了点问题" not in reply["text"] and "went wrong" not in reply["text"]


@pytest.mark.slow                    # 200 generated messages through the bot
async def test_fuzzed_messages_never_crash_and_every_reply_is_valid_html(app, emu, caplog):
    user = emu.user()
    chat, group = emu.private_chat(user), emu.supergroup()
    counted = {chat["id"]: (0, 0), group["id"]: (0, 0)}    # (messages, reactions) when the chat's last case ended
    counts = {"cases": 0, "private texts": 0, "commands": 0, "captions": 0, "edits": 0, "group": 0, "no text": 0}
    kinds = st.sampled_from(["text", "long", "command", "caption", "edit", "group", "sticker", "photo"])

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(kind=kinds, text=texts, long_text=long_texts,
           command=st.sampled_from(["/ask", "/start", "/help", "/sources", "/language", "/stats", "/nope"]))
    def one_case(kind, text, long_text, command):
        """Every message gets exactly one response: a reply, or (when it asks nothing) a reaction. An edit of an
        answered question changes the answer in place; an edit of one that got a reaction is answered once."""
        counts["cases"] += 1
        in_chat = group if kind == "group" else chat
        before, reacted = responses_so_far(in_chat)
        assert (before, reacted) == counted[in_chat["id"]], "a second response to an earlier case came after it"
        if kind in ("text", "long"):
            emu.send(chat, user, message_text(long_text if kind == "long" else text))
            counts["private texts"] += 1
        elif kind == "command":
            emu.send(chat, user, message_text(f"{command} {text}"))
            counts["commands"] += 1
        elif kind == "caption":
            emu.send_photo(chat, user, caption=message_text(text)[:1024])
            counts["captions"] += 1
        elif kind == "edit":
            sent = emu.send(chat, user, message_text(text))
            got_reaction = wait_one_response(in_chat, before, reacted)
            emu.edit_user_message(chat, sent, message_text(text + "？"))
            if got_reaction:        # it asked nothing; with a question mark it asks: answered once
                # timing windows: an edit takes a turn of its own (bot/telegram/ordering.py), so no marker queues
                # behind it; the bot's idle for 0.05 s / 0.3 s (a new answer vs an edit in place) ends the case
                replies = emu.wait_bot_messages(in_chat, count=before + 1, timeout=20, settle=0.05)
                assert len(replies) == before + 1
            else:                   # answered: the answer is edited in place, nothing new is posted
                replies = emu.wait_bot_messages(in_chat, count=before + 1, timeout=20, settle=0.3)
                assert len(replies) == before + 1, "an edited question got a second answer"
            assert_valid_replies(replies[before:])
            counts["edits"] += 1
            counted[in_chat["id"]] = (before + 1, reacted + got_reaction)
            return
        elif kind == "group":            # not addressed: silence; then addressed: one answer
            emu.send(group, user, message_text(text))
            mention, entities = emu.mention_text(emu.bot_user, " " + message_text(text))
            emu.send(group, user, mention[:4096], entities=entities)
            counts["group"] += 1
        else:
            (emu.send_sticker if kind == "sticker" else emu.send_photo)(chat, user)
            counts["no text"] += 1
        got_reaction = wait_one_response(in_chat, before, reacted)
        replies = emu.bot_messages(in_chat)
        assert_valid_replies(replies[before:])
        counted[in_chat["id"]] = (before + (not got_reaction), reacted + got_reaction)

    def responses_so_far(in_chat) -> tuple[int, int]:
        return len(emu.bot_messages(in_chat)), len(emu.reactions(in_chat))

    def wait_one_response(in_chat, before: int, reacted: int) -> bool:
        """Wait for the bot's response (a message or a reaction); True if a reaction. A second response that comes
        later is caught when the next case in that chat starts, or by the markers after the last case."""
        def responses() -> tuple[int, int]:
            messages, reactions = responses_so_far(in_chat)
            return messages - before, reactions - reacted

        emu.wait_until(lambda: sum(responses()) >= 1, timeout=20)
        messages, reactions = responses()
        assert messages + reactions == 1, f"expected exactly one response, got {messages} messages, {reactions} reactions"
        return reactions == 1

    await asyncio.to_thread(one_case)
    for in_chat in (chat, group):         # the markers: every earlier update of this user there is handled
        await sentinel(emu, in_chat, user)
        assert responses_so_far(in_chat) == (counted[in_chat["id"]][0] + 1, counted[in_chat["id"]][1]), \
            "a second response to one of the last cases"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a handler raised"
    print(f"\nfuzzing: {counts}")
    reliability.record("Input: random Unicode, markup, 4096-char, commands, edits, captions, no-text messages",
                       injected="hypothesis examples sent through the emulator: private texts up to 4096 characters, "
                                "commands with garbage arguments, captions, edits, group messages, stickers, photos",
                       cases=counts["cases"])


async def test_one_user_flooding_mentions_does_not_starve_others(emu, engine, tmp_path):
    emu.reset()
    async with running_bot(emu, engine, tmp_path, user_cooldown_s=30.0, chat_questions_per_minute=20):
        flooder, other = emu.user(), emu.user()
        group = emu.supergroup()
        mention, entities = emu.mention_text(emu.bot_user, " " + BYTEDANCE)
        for _ in range(50):
            emu.send(group, flooder, mention, entities=entities)
        asked = await emu.asend(group, other, f"/ask {BYTEDANCE}")
        # timing window: the flooder's two waiting questions are 30 and 60 s away, so no marker can follow them;
        # 0.5 s without a change says nothing more is sent now
        replies = await emu.await_bot_messages(group, count=3, settle=0.5)
    to_other = [r for r in replies if r["reply_to_message_id"] == asked["message_id"]]
    assert len(to_other) == 1 and "50万" in to_other[0]["text"]
    # one answer, one notice (two more of the flooder's wait their turn, 30 and 60 s on; the rest are refused)
    assert len(replies) == 3 and sum("按顺序回答" in r["text"] for r in replies) == 1
    reliability.record("Input: one user flooding mentions in a group",
                       injected="50 mentions from one user, then one question from another", cases=50)


@pytest.mark.slow
async def test_a_thousand_unaddressed_group_messages_get_no_reply(app, emu):
    user = emu.user()
    group = emu.supergroup()
    for i in range(1000):
        emu.send(group, user, f"{BYTEDANCE} #{i} @someone_else" if i % 2 else f"闲聊 {i}")
    asked = await emu.asend(group, user, f"/ask {BYTEDANCE}")   # the marker: the same user's turns are in order
    await emu.await_bot_messages(group, reply_to_message_id=asked["message_id"], timeout=60)
    replies = emu.bot_messages(group)
    assert [r["reply_to_message_id"] for r in replies] == [asked["message_id"]]
    assert store_of(app).db.execute("SELECT COUNT(*) FROM questions").fetchone() == (1,)
    reliability.record("Input: unaddressed group messages", injected="1,000 messages not addressed to the bot",
                       cases=1000)


async def test_the_allowlist_holds_for_messages_edits_and_buttons(emu, engine, tmp_path):
    emu.reset()
    insider, outsider = emu.user(), emu.user()
    async with running_bot(emu, engine, tmp_path, allowed_user_ids=frozenset({insider["id"]})) as app:
        group = emu.supergroup()
        await emu.asend(group, insider, f"/ask {BYTEDANCE}")
        [answer] = await emu.await_bot_messages(group)
        outsider_chat = emu.private_chat(outsider)
        sent = await emu.asend(outsider_chat, outsider, BYTEDANCE)
        await asyncio.to_thread(emu.edit_user_message, outsider_chat, sent, BYTEDANCE + "？")
        await emu.asend(group, outsider, f"/ask {BYTEDANCE}")
        await emu.asend(group, outsider, "闲聊")                             # not addressed: not even a refusal
        for data in (b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row):
            await asyncio.to_thread(emu.press, group, outsider, answer, data)
        # timing window: every marker the outsider could send is refused too, and edits and button presses take
        # turns of their own; 0.5 s without a change after the two private refusals says the rest is in
        await emu.await_bot_messages(outsider_chat, count=2, settle=0.5)
        refusals = emu.bot_messages(outsider_chat) + emu.bot_messages(group, after=answer)
        alerts = emu.callback_answers()
        assert [r["text"] for r in refusals] == ["抱歉，这个机器人只对受邀的聊天开放。"] * 3
        assert len(alerts) == len(answer["reply_markup"]["inline_keyboard"][0]) + 2
        assert all(a["text"] == "抱歉，这个机器人只对受邀的聊天开放。" for a in alerts)
        store = store_of(app)
        assert store.db.execute("SELECT COUNT(*) FROM questions").fetchone() == (1,)
        assert store.db.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)
    reliability.record("Access: allowlist for messages, edited messages and button presses",
                       injected="a user outside ALLOWED_USER_IDS asks, edits, asks in a group and presses buttons",
                       cases=4)
