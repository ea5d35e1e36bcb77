"""Group discussions (issue 12), end to end: the real python-telegram-bot Application and the session's engine
talking HTTP to the Bot API emulator. Claim checks, the replied-to message as context, no question lost, edits,
quiet manners, everyone can ask, traditional characters, inline mode. One test per behaviour."""
from __future__ import annotations

import asyncio

import pytest

from bot_harness import running_bot, sentinel, store_of

BYTEDANCE = "字节跳动在中国有多少GPU？"
SINGAPORE = "新加坡为什么禁止建设新的数据中心？"
HUAWEI = "华为在2018年遭禁后是怎么获取材料的？"
BOB_SAYS = "我听说字节跳动只有1万个GPU，而且都是合法买的"


def buttons(message: dict) -> list[str]:
    rows = (message["reply_markup"] or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


# -- 1. claim checks, 2. the replied-to message as context -------------------------------------------------

@pytest.mark.parametrize("asking", ["他说的对吗？", "is this true?"])
async def test_a_mention_replying_to_a_claim_checks_it_against_the_article(app, emu, asking):
    bob, carol = emu.user(first_name="Bob"), emu.user(first_name="Carol")
    group = emu.supergroup()
    said = await emu.asend(group, bob, BOB_SAYS)
    text, entities = emu.mention_text(emu.bot_user, " " + asking)
    asked = await emu.asend(group, carol, text, entities=entities, reply_to=said)
    [verdict] = await emu.await_bot_messages(group)
    assert verdict["reply_to_message_id"] == asked["message_id"]
    assert "与文章不符" in verdict["text"] and "1万" in verdict["text"]          # the claim, judged
    assert "50万" in verdict["text"] and "[1]" in verdict["text"]               # the article's own figure, cited
    assert "来源" in verdict["text"] and any(d.startswith("p:") for d in buttons(verdict))


async def test_check_command_supports_a_claim_the_article_makes_with_a_citation(app, emu):
    alice = emu.user()
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, "/check 新加坡的电力短缺持续了15年")
    [verdict] = await emu.await_bot_messages(chat)
    assert "✅ 文章支持" in verdict["text"] and "15年" in verdict["text"] and "[1]" in verdict["text"]
    data = [d for d in buttons(verdict) if d.startswith("p:")]
    await emu.apress(chat, alice, verdict, data[0])
    [passage] = await emu.await_bot_messages(chat, after=verdict)
    assert "电力短缺" in passage["text"]                                            # the citation opens


async def test_check_of_a_claim_the_article_does_not_cover_says_so(app, emu):
    alice = emu.user()
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, "/check 苹果公司2023年的营收是1000亿美元")
    [verdict] = await emu.await_bot_messages(chat)
    assert "文章没有提到" in verdict["text"] and "与文章不符" not in verdict["text"]
    assert "文章支持" not in verdict["text"] and "来源" not in verdict["text"]
    assert sum(d.startswith("p:") for d in buttons(verdict)) >= 1                   # the nearest passages


async def test_check_in_reply_to_someones_message_and_in_english(app, emu):
    bob, carol = emu.user(), emu.user(language_code="en")
    group = emu.group()
    said = await emu.asend(group, bob, BOB_SAYS)
    await emu.asend(group, carol, "/check", reply_to=said)
    [verdict] = await emu.await_bot_messages(group)
    assert "与文章不符" in verdict["text"] and "50万" in verdict["text"]
    await emu.asend(group, carol, "/check")
    [usage] = await emu.await_bot_messages(group, after=verdict)
    assert "/check" in usage["text"]
    await emu.asend(group, carol, "/check ByteDance has only 10,000 GPUs")
    [english] = await emu.await_bot_messages(group, after=usage)
    assert "❌ Contradicted" in english["text"] and "50万" in english["text"] and "[1]" in english["text"]
    await emu.asend(group, carol, "/check Apple's revenue was 100 billion dollars in 2023")
    [uncovered] = await emu.await_bot_messages(group, after=english)
    assert "The articles don't say" in uncovered["text"]


async def test_a_mention_replying_to_someones_question_answers_that_question(app, emu):
    bob, carol = emu.user(), emu.user()
    group = emu.supergroup()
    asked = await emu.asend(group, bob, BYTEDANCE)
    text, entities = emu.mention_text(emu.bot_user, " 什么意思？")
    await emu.asend(group, carol, text, entities=entities, reply_to=asked)
    [answer] = await emu.await_bot_messages(group)
    assert "50万" in answer["text"] and "核对" not in answer["text"]


async def test_ask_in_reply_to_someones_question_asks_it(app, emu):
    bob, carol = emu.user(), emu.user()
    group = emu.group()
    asked = await emu.asend(group, bob, SINGAPORE)
    command = await emu.asend(group, carol, "/ask", reply_to=asked)
    [answer] = await emu.await_bot_messages(group)
    assert "电力" in answer["text"] and answer["reply_to_message_id"] == command["message_id"]


async def test_a_mention_with_its_own_question_uses_the_replied_message_as_context(app, emu):
    bob, carol = emu.user(), emu.user()
    group = emu.supergroup()
    said = await emu.asend(group, bob, "我们在聊新加坡的数据中心")
    text, entities = emu.mention_text(emu.bot_user, " 为什么被禁止？")
    await emu.asend(group, carol, text, entities=entities, reply_to=said)
    [answer] = await emu.await_bot_messages(group)
    assert "电力" in answer["text"] and "核对" not in answer["text"]


# -- 3. no question lost --------------------------------------------------------------------------------

@pytest.mark.slow                    # waits out real cooldowns (1-3 s)
async def test_two_questions_a_third_of_a_second_apart_are_both_answered_in_order(emu, engine, tmp_path):
    emu.reset()
    async with running_bot(emu, engine, tmp_path, user_cooldown_s=3.0):       # the default cooldown
        alice = emu.user()
        chat = emu.private_chat(alice)
        await emu.asend(chat, alice, BYTEDANCE)
        await asyncio.sleep(0.3)          # the scenario itself: a second question 0.3 s after the first
        await emu.asend(chat, alice, SINGAPORE)
        replies = await emu.await_bot_messages(chat, count=3, timeout=30)
    answers = [r for r in replies if r["reply_markup"]]
    assert len(answers) == 2 and "50万" in answers[0]["text"] and "电力" in answers[1]["text"]
    assert [r["text"] for r in replies if not r["reply_markup"]] == ["收到，3 秒后按顺序回答。"]


@pytest.mark.slow                    # waits out real cooldowns (1-3 s)
async def test_editing_a_question_while_it_waits_answers_the_edited_text_once(emu, engine, tmp_path):
    emu.reset()
    async with running_bot(emu, engine, tmp_path, user_cooldown_s=2.0):
        alice = emu.user()
        chat = emu.private_chat(alice)
        await emu.asend(chat, alice, BYTEDANCE)
        [first] = await emu.await_bot_messages(chat)
        typo = await emu.asend(chat, alice, "新加波为什么禁止建设新的数据中心")       # waits 2 s for its turn
        await emu.aedit(chat, typo, SINGAPORE)                                      # fixed within the wait
        replies = [m for m in await sentinel(emu, chat, alice) if m["message_id"] > first["message_id"]]
    answers = [r for r in replies if r["reply_markup"]]
    assert len(answers) == 1 and "电力" in answers[0]["text"]             # the edited question, answered once


async def test_an_edited_question_edits_its_answer_in_place(app, emu):
    bob = emu.user()
    group = emu.supergroup()
    asked = await emu.asend(group, bob, f"/ask {BYTEDANCE}")
    [answer] = await emu.await_bot_messages(group)
    await emu.aedit(group, asked, f"/ask {SINGAPORE}")
    await emu.await_change(lambda: "电力" in (emu.bot_messages(group)[0]["text"] or ""))
    emu.settle(0.3)    # timing window: an edit takes a turn of its own (bot/telegram/ordering.py): no marker follows it
    [edited] = emu.bot_messages(group)
    assert edited["message_id"] == answer["message_id"] and edited["reply_to_message_id"] == asked["message_id"]
    assert "50万" not in edited["text"] and buttons(edited) and buttons(edited) != buttons(answer)
    reply = await emu.asend(group, bob, "那华为呢？", reply_to=edited)       # the reply chain follows the new answer
    [follow_up] = await emu.await_bot_messages(group, after=edited)
    assert follow_up["reply_to_message_id"] == reply["message_id"]
    previous = store_of(app).db.execute(
        "SELECT q.text FROM questions q JOIN questions f ON f.previous_answer_id IN"
        " (SELECT id FROM answers WHERE question_id = q.id) WHERE f.message_id = ?", (reply["message_id"],)).fetchone()
    assert previous == (SINGAPORE,)


async def test_twenty_two_askers_in_a_minute_get_at_most_one_busy_notice(emu, engine, tmp_path):
    emu.reset()
    async with running_bot(emu, engine, tmp_path, user_cooldown_s=3.0, chat_questions_per_minute=20):
        group = emu.supergroup()
        for _ in range(22):
            await emu.asend(group, emu.user(), f"/ask {BYTEDANCE}")
        # timing window: the last two wait a minute for room, so no marker can follow them; 1 s of quiet after 21
        replies = await emu.await_bot_messages(group, count=21, timeout=60, settle=1.0)
    answers = [r for r in replies if r["reply_markup"]]
    notices = [r for r in replies if not r["reply_markup"]]
    # 20 answered at once; the other two wait for the minute's room (they are not waited for here)
    assert len(answers) == 20 and len(notices) == 1 and "按顺序回答" in notices[0]["text"]


# -- 4. quiet manners --------------------------------------------------------------------------------------

@pytest.mark.parametrize("said", ["谢谢！", "thanks bot!", "ok", "👍", "好的"])
async def test_a_reply_that_asks_nothing_gets_a_reaction_and_no_message(app, emu, said):
    bob = emu.user()
    group = emu.supergroup()
    await emu.asend(group, bob, f"/ask {BYTEDANCE}")
    [answer] = await emu.await_bot_messages(group)
    thanks = await emu.asend(group, bob, said, reply_to=answer)
    [reaction] = await emu.await_change(lambda: emu.reactions(group))
    assert reaction["message_id"] == thanks["message_id"] and reaction["reaction"][0]["emoji"] == "👌"
    assert [m["message_id"] for m in await sentinel(emu, group, bob)] == [answer["message_id"]]   # no message


async def test_a_sticker_reply_gets_a_reaction_and_a_real_follow_up_is_still_answered(app, emu):
    bob = emu.user()
    chat = emu.private_chat(bob)
    await emu.asend(chat, bob, BYTEDANCE)
    [answer] = await emu.await_bot_messages(chat)
    await asyncio.to_thread(emu.send_sticker, chat, bob, reply_to=answer)
    await emu.await_change(lambda: emu.reactions(chat))
    await emu.asend(chat, bob, "那华为呢", reply_to=answer)                      # no question mark, but it asks
    [follow_up] = await emu.await_bot_messages(chat, after=answer)
    assert follow_up["reply_markup"] and len(emu.reactions(chat)) == 1        # answered, not acknowledged


async def test_a_second_press_of_a_source_button_posts_nothing_new(app, emu):
    bob, carol = emu.user(), emu.user()
    group = emu.supergroup()
    await emu.asend(group, bob, f"/ask {BYTEDANCE}")
    [answer] = await emu.await_bot_messages(group)
    source = next(d for d in buttons(answer) if d.startswith("p:"))
    await emu.apress(group, bob, answer, source)
    [passage] = await emu.await_bot_messages(group, after=answer)
    await emu.apress(group, carol, answer, source)
    await emu.await_change(lambda: len(emu.callback_answers()) == 2)
    shown = await sentinel(emu, group, carol)         # carol's press had its turn before her /help
    assert [m["message_id"] for m in shown] == [answer["message_id"], passage["message_id"]]
    assert emu.callback_answers()[-1]["text"] == "这段原文已经发在上面了 ↑"


# -- 5. everyone can ask ----------------------------------------------------------------------------------

async def test_anonymous_admins_and_channel_posts_are_answered(app, emu):
    group = emu.supergroup()
    anonymous = await asyncio.to_thread(emu.send_as, group, group, f"/ask {BYTEDANCE}")
    [first] = await emu.await_bot_messages(group)
    assert first["reply_to_message_id"] == anonymous["message_id"] and "50万" in first["text"]
    channel = emu.channel("GPU News")
    text, entities = emu.mention_text(emu.bot_user, " " + SINGAPORE)
    posted = await asyncio.to_thread(emu.send_as, group, channel, text, entities=entities)
    [second] = await emu.await_bot_messages(group, after=first)
    assert second["reply_to_message_id"] == posted["message_id"] and "电力" in second["text"]
    asker = store_of(app).db.execute("SELECT user_id FROM questions ORDER BY id").fetchall()
    assert asker == [(group["id"],), (channel["id"],)]                             # who asked: the chats


async def test_only_group_admins_change_the_groups_language(app, emu):
    member, admin = emu.user(), emu.user()
    group = emu.supergroup()
    await emu.asend(group, member, "/language en")
    [refused] = await emu.await_bot_messages(group)
    assert refused["text"] == "Only the group's admins can change its language."     # "/language en": Latin words
    emu.set_member_status(group, admin, "administrator")
    await emu.asend(group, admin, "/language en")
    [done] = await emu.await_bot_messages(group, after=refused)
    assert done["text"] == "OK, this chat now uses English."
    await asyncio.to_thread(emu.send_as, group, group, "/language auto")          # an anonymous admin
    [auto] = await emu.await_bot_messages(group, after=done)
    assert auto["text"] == "OK, I'll follow each question's language."
    assert store_of(app).chat_language(group["id"]) is None
    private = emu.private_chat(member)
    await emu.asend(private, member, "/language en")                               # one's own chat: anyone
    [mine] = await emu.await_bot_messages(private)
    assert mine["text"] == "OK, this chat now uses English."


async def test_a_traditional_chinese_question_is_answered_in_traditional_characters(app, emu):
    alice = emu.user(language_code="zh-hant")
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, "字節跳動在中國有多少GPU？")
    [answer] = await emu.await_bot_messages(chat)
    assert "字節跳動" in answer["text"] and "50萬" in answer["text"] and "來源" in answer["text"]
    assert "字节" not in answer["text"]
    source = next(d for d in buttons(answer) if d.startswith("p:"))
    await emu.apress(chat, alice, answer, source)
    [passage] = await emu.await_bot_messages(chat, after=answer)
    assert "<u>" in passage["html"]                        # the quoted sentence is still found in the passage


# -- 6. inline mode ------------------------------------------------------------------------------------------

async def test_inline_query_offers_one_cited_answer_to_send(emu, engine, tmp_path):
    emu.reset(inline_mode=True)
    async with running_bot(emu, engine, tmp_path):
        alice = emu.user()
        query = await asyncio.to_thread(emu.inline_query, alice, BYTEDANCE)
        answer = await emu.await_inline_answer(query["id"])
        [result] = answer["results"]
        sent = result["_parsed"]["text"]
        assert "50万" in sent and "[1]" in sent and "来源" in sent and "揭秘" in sent
        assert result["title"] and result["input_message_content"]["parse_mode"] == "HTML"
        group = emu.group()
        message = await asyncio.to_thread(emu.choose_inline_result, group, query["id"], result["id"])
        assert message["via_bot"]["id"] == emu.bot_id
        empty = await asyncio.to_thread(emu.inline_query, alice, "")
        assert (await emu.await_inline_answer(empty["id"]))["results"] == []
        assert await sentinel(emu, group, alice) == []         # what it sent "via @bot" is not a question


async def test_inline_mode_respects_the_allowlist(emu, engine, tmp_path):
    emu.reset(inline_mode=True)
    insider, outsider = emu.user(), emu.user()
    async with running_bot(emu, engine, tmp_path, allowed_user_ids=frozenset({insider["id"]})):
        refused = await asyncio.to_thread(emu.inline_query, outsider, BYTEDANCE)
        answer = await emu.await_inline_answer(refused["id"])
        assert answer["results"] == [] and answer["button"]["text"] == "抱歉，这个机器人只对受邀的聊天开放。"
        allowed = await asyncio.to_thread(emu.inline_query, insider, BYTEDANCE)
        assert len((await emu.await_inline_answer(allowed["id"]))["results"]) == 1


# -- claim checks with an LLM: its verdict's explanation goes through the same claim check as answers ----------

async def test_with_an_llm_the_verdict_is_the_models_but_only_what_passes_the_claim_check_is_shown(
        emu, scripted_llm, index_settings, embedder, tmp_path):
    from bot_harness import engine_with_llm

    emu.reset()
    async with running_bot(emu, engine_with_llm(scripted_llm.base_url, index_settings, embedder), tmp_path):
        alice = emu.user()
        chat = emu.private_chat(alice)
        scripted_llm.reply("SUPPORTED\n新加坡的电力短缺问题持续了15年[1]。这导致该国禁止新建数据中心[1]。")
        await emu.asend(chat, alice, "/check 新加坡的电力短缺持续了15年")
        [supported] = await emu.await_bot_messages(chat)
        assert "✅ 文章支持" in supported["text"] and "问题持续了15年。[1]" in supported["text"]   # its words, checked
        assert "<passage" in scripted_llm.requests[-1]["messages"][1]["content"]

        # a verdict whose explanation invents what no passage says is not believed: the offline verdict stands
        scripted_llm.reply("SUPPORTED\n苹果公司2023年的营收是1000亿美元[1]。")
        await emu.asend(chat, alice, "/check 苹果公司2023年的营收是1000亿美元")
        [invented] = await emu.await_bot_messages(chat, after=supported)
        assert "文章没有提到" in invented["text"] and "文章支持" not in invented["text"]

        # a figure the passage contradicts is never overruled, and the model is not even asked
        asked_before = len(scripted_llm.requests)
        await emu.asend(chat, alice, "/check 字节跳动只有1万个GPU")
        [contradicted] = await emu.await_bot_messages(chat, after=invented)
        assert "与文章不符" in contradicted["text"] and "50万" in contradicted["text"]
        assert len(scripted_llm.requests) == asked_before


async def test_a_thumbs_reaction_on_an_answer_is_a_vote_and_the_buttons_count_it(app, emu):
    bob = emu.user()
    group = emu.supergroup()
    await emu.asend(group, bob, f"/ask {BYTEDANCE}")
    [answer] = await emu.await_bot_messages(group)

    def labels() -> list[str]:
        [shown] = emu.bot_messages(group)
        return [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row][-2:]

    await asyncio.to_thread(emu.react, group, bob, answer, "👍")
    await emu.await_change(lambda: labels() == ["👍 1", "👎"])
    await asyncio.to_thread(emu.react, group, bob, answer, "👎")
    await emu.await_change(lambda: labels() == ["👍", "👎 1"])
    await asyncio.to_thread(emu.react, group, bob, answer)                      # reaction removed: vote too
    await emu.await_change(lambda: labels() == ["👍", "👎"])
    assert store_of(app).db.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)
