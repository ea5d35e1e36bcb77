"""The bot end to end: the real python-telegram-bot Application, real engine (MiniLM, FAISS, jieba), real
SQLite, talking HTTP to the Telegram Bot API emulator (tests/emulator/) on loopback. One test per scenario."""
from __future__ import annotations

import asyncio

import pytest

from bot_harness import ADMIN_ID, engine_with_llm, running_bot, sentinel, store_of

BYTEDANCE = "字节跳动在中国有多少GPU？"
UNANSWERABLE = "苹果公司2023年的营收是多少？"


def buttons(message: dict) -> list[str]:
    rows = (message["reply_markup"] or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def test_private_question_gets_a_cited_answer_with_buttons(app, emu):
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, BYTEDANCE)
    [reply] = await emu.await_bot_messages(chat)
    assert "50万" in reply["text"] and "[1]" in reply["text"]
    assert "来源" in reply["text"] and "[1] 揭秘：中国GPU非法走私背后的科技暗战 › " in reply["text"]
    assert reply["parse_mode"] == "HTML" and "<b>来源</b>" in reply["html"]
    data = buttons(reply)
    answer_id = data[0].split(":")[1]
    assert data == [f"p:{answer_id}:{n}" for n in range(1, len(data) - 1)] + [f"f:{answer_id}:1", f"f:{answer_id}:-1"]


async def test_two_questions_in_one_message_are_answered_each_under_its_question_in_bold(app, emu):
    alice = emu.user()
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, "GPU价格怎么样？" + BYTEDANCE)
    [reply] = await emu.await_bot_messages(chat)
    assert "<b>GPU价格怎么样？</b>" in reply["html"] and f"<b>{BYTEDANCE}</b>" in reply["html"]
    assert "50万" in reply["text"] and "[2]" in reply["text"]
    passages = [d for d in buttons(reply) if d.startswith("p:")]
    answer_id = passages[0].split(":")[1]
    assert len(passages) >= 2 and passages == [f"p:{answer_id}:{n}" for n in range(1, len(passages) + 1)]


async def test_group_messages_not_addressed_to_the_bot_get_no_reply(app, emu):
    bob = emu.user()
    group = emu.group()
    for text in (BYTEDANCE, "大家好", "@someone_else 你看过这篇吗？", "/start@OtherBot"):
        await emu.asend(group, bob, text)
    other_bot = emu.user(is_bot=True, username="OtherBot")
    await emu.asend(group, other_bot, f"@{emu.bot_username} {BYTEDANCE}")   # bots never get answers: no loops
    text, entities = emu.mention_text(emu.bot_user, " " + BYTEDANCE)
    addressed = await emu.asend(group, bob, text, entities=entities)
    replies = await sentinel(emu, group, bob)       # the other bot's message was delivered (and dropped) before it
    assert [r["reply_to_message_id"] for r in replies] == [addressed["message_id"]]


async def test_mention_gets_an_answer_replying_to_the_asker(app, emu):
    bob = emu.user()
    group = emu.supergroup()
    text, entities = emu.mention_text("请问 ", emu.bot_user, " " + BYTEDANCE)
    asked = await emu.asend(group, bob, text, entities=entities)
    [reply] = await emu.await_bot_messages(group)
    assert reply["reply_to_message_id"] == asked["message_id"] and "50万" in reply["text"]


async def test_text_mention_of_a_bot_without_username_also_addresses_it(app, emu):
    bob = emu.user()
    group = emu.group()
    bot_by_name = {k: v for k, v in emu.bot_user.items() if k != "username"}
    text, entities = emu.mention_text(bot_by_name, " " + BYTEDANCE)
    await emu.asend(group, bob, text, entities=entities)
    [reply] = await emu.await_bot_messages(group)
    assert "50万" in reply["text"]


async def test_ask_command_with_the_bot_name(app, emu):
    bob = emu.user()
    group = emu.group()
    asked = await emu.asend(group, bob, f"/ask@{emu.bot_username} {BYTEDANCE}")
    [reply] = await emu.await_bot_messages(group)
    assert reply["reply_to_message_id"] == asked["message_id"] and "50万" in reply["text"]
    await emu.asend(group, bob, "/ask")
    [usage] = await emu.await_bot_messages(group, after=reply)
    assert "/ask" in usage["text"]


async def test_reply_to_an_answer_is_a_follow_up_and_conversations_never_mix(app, emu):
    bob, carol = emu.user(), emu.user()
    group = emu.supergroup()
    await emu.asend(group, bob, f"/ask {BYTEDANCE}")
    await emu.asend(group, carol, "/ask 新加坡为什么禁止建设新的数据中心？")
    first, second = await emu.await_bot_messages(group, count=2)
    by_question = {m["message"]["reply_to_message"]["text"]: m for m in (first, second)}
    bytedance_answer = by_question[f"/ask {BYTEDANCE}"]
    follow_up = await emu.asend(group, bob, "那华为呢？", reply_to=bytedance_answer)
    [reply] = await emu.await_bot_messages(group, after=max(first["message_id"], second["message_id"]))
    assert reply["reply_to_message_id"] == follow_up["message_id"] and reply["reply_markup"]
    store = store_of(app)
    previous_id = store.db.execute("SELECT previous_answer_id FROM questions WHERE message_id = ?",
                                   (follow_up["message_id"],)).fetchone()[0]
    asked = store.db.execute("SELECT q.text FROM answers a JOIN questions q ON q.id = a.question_id WHERE a.id = ?",
                             (previous_id,)).fetchone()[0]
    assert asked == BYTEDANCE          # the follow-up's context is bob's conversation, not carol's


async def test_answers_in_a_forum_topic_stay_in_the_topic(app, emu):
    bob = emu.user()
    forum = emu.supergroup(forum=True)
    topic = emu.create_topic(forum, bob, "GPU")
    await emu.asend(forum, bob, f"/ask {BYTEDANCE}", thread_id=topic)
    [reply] = await emu.await_bot_messages(forum)
    assert reply["message_thread_id"] == topic and "50万" in reply["text"]


async def test_citation_button_opens_the_passage_in_full(app, emu):
    alice = emu.user()
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, BYTEDANCE)
    [answer] = await emu.await_bot_messages(chat)
    first_passage = next(d for d in buttons(answer) if d.startswith("p:"))
    await asyncio.to_thread(emu.press, chat, alice, answer, first_passage)
    [passage] = await emu.await_bot_messages(chat, after=answer)
    [citation] = store_of(app).citations(int(first_passage.split(":")[1]))[:1]
    paragraph = int(citation.chunk_id.rsplit("#", 1)[1])
    assert f"第 {paragraph} 段" in passage["text"] and citation.text.split("\n")[-1].strip("- ") in passage["text"]
    quoted = answer["text"].split("[1]")[0].split("。")[-2] + "。"      # the answer's first sentence, marker-less
    assert f"<u>{quoted}</u>" in passage["html"]                         # what the answer quoted, underlined
    assert passage["reply_to_message_id"] == answer["message_id"]
    assert emu.callback_answers()[-1]["callback_query_id"]


async def test_feedback_shows_the_vote_and_lets_it_change(app, emu):
    alice, bob = emu.user(), emu.user()
    group = emu.group()
    await emu.asend(group, alice, f"/ask {BYTEDANCE}")
    [answer] = await emu.await_bot_messages(group)
    thumbs_up = next(d for d in buttons(answer) if d.startswith("f:") and d.endswith(":1"))
    thumbs_down = thumbs_up[:-1] + "-1"

    def labels() -> list[str]:
        [shown] = emu.bot_messages(group)
        return [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row][-2:]

    async def press(user, data, expected_labels):
        await emu.apress(group, user, answer, data)
        await emu.await_change(lambda: labels() == expected_labels)
        return emu.callback_answers()[-1]["text"]

    assert await press(alice, thumbs_up, ["👍 1", "👎"]) == "你的评价：👍（再点一次可撤销）"
    assert (await press(bob, thumbs_up, ["👍 2", "👎"])).startswith("你的评价：👍")
    assert (await press(bob, thumbs_down, ["👍 1", "👎 1"])).startswith("你的评价：👎")    # changed
    assert await press(alice, thumbs_up, ["👍", "👎 1"]) == "已撤销评价。"                  # taken back
    assert store_of(app).db.execute("SELECT user_id, value FROM feedback").fetchall() == [(bob["id"], -1)]
    assert len(emu.bot_messages(group)) == 1           # votes edit the buttons, they post nothing


@pytest.mark.slow                    # waits out real cooldowns (1-3 s)
async def test_questions_over_the_cooldown_wait_and_are_answered_in_order(emu, engine, tmp_path):
    emu.reset()
    async with running_bot(emu, engine, tmp_path, user_cooldown_s=1.0) as app:
        alice = emu.user()
        chat = emu.private_chat(alice)
        questions = [BYTEDANCE, "新加坡为什么禁止建设新的数据中心？", "华为在2018年遭禁后是怎么获取材料的？"]
        for question in questions:
            await emu.asend(chat, alice, question)
        replies = await sentinel(emu, chat, alice)      # a waiting question keeps alice's turn until it is answered
        answered = store_of(app).db.execute("SELECT q.text FROM answers a JOIN questions q ON q.id = a.question_id"
                                            " ORDER BY a.id").fetchall()
    notices = [r for r in replies if not r["reply_markup"]]
    answers = [r for r in replies if r["reply_markup"]]
    assert len(notices) == 1 and "按顺序回答" in notices[0]["text"]        # said once, politely
    assert len(answers) == 3 and "50万" in answers[0]["text"] and "电力" in answers[1]["text"]
    assert answered == [(q,) for q in questions]                          # in the order asked


async def test_refusal_offers_the_nearest_passages(app, emu):
    alice = emu.user()
    chat = emu.private_chat(alice)
    await emu.asend(chat, alice, UNANSWERABLE)
    [reply] = await emu.await_bot_messages(chat)
    assert reply["text"].startswith("文章没有涉及这个问题")
    assert sum(d.startswith("p:") for d in buttons(reply)) == 3


async def test_admin_commands_are_refused_to_others(app, emu):
    mallory = emu.user()
    chat = emu.private_chat(mallory)
    await emu.asend(chat, mallory, "/stats")
    await emu.asend(chat, mallory, "/reload")
    refusals = await emu.await_bot_messages(chat, count=2)
    assert all(r["text"] == "这个命令只有管理员可以使用。" for r in refusals)

    admin = emu.user(id=ADMIN_ID)
    admin_chat = emu.private_chat(admin)
    await emu.asend(admin_chat, admin, BYTEDANCE)
    await emu.await_bot_messages(admin_chat)
    await emu.asend(admin_chat, admin, "/stats")
    [stats] = await emu.await_bot_messages(admin_chat, text_contains="问题：")
    assert "问题：1" in stats["text"] and "p50" in stats["text"] and "未配置" in stats["text"]
    await emu.asend(admin_chat, admin, "/reload")
    [reloaded] = await emu.await_bot_messages(admin_chat, text_contains="索引已更新")
    assert "up to date" in reloaded["text"]


async def test_start_help_and_sources_speak_the_users_language(app, emu):
    zh_user, en_user = emu.user(language_code="zh-hans"), emu.user(language_code="en")
    for user in (zh_user, en_user):
        chat = emu.private_chat(user)
        for command in ("/start", "/help", "/sources"):      # sent at once, answered in order
            await emu.asend(chat, user, command)
        await emu.await_bot_messages(chat, count=3)
    zh = [m["text"] for m in emu.bot_messages(emu.private_chat(zh_user))]
    en = [m["text"] for m in emu.bot_messages(emu.private_chat(en_user))]
    # example questions come from the corpus's own section headings
    assert zh[0].startswith("你好") and "揭秘：中国GPU非法走私背后的科技暗战" in zh[0] and "关于“亮点”" in zh[0]
    assert en[0].startswith("Hello") and "What does the article say about" in en[0]
    assert "@ArticleQABot" in zh[1] and "Lex Fridman" in zh[2] and en[2].startswith("The articles I know")
    # an English question gets English texts even from a Chinese-speaking user
    await emu.asend(emu.private_chat(zh_user), zh_user, "How many GPUs does ByteDance have?")
    answer = (await emu.await_bot_messages(emu.private_chat(zh_user), count=4))[-1]
    assert "Sources" in answer["text"] or answer["text"].startswith("The articles don't cover")


async def test_non_text_messages_get_a_clear_message_in_private_and_silence_in_groups(app, emu):
    alice = emu.user()
    chat, group = emu.private_chat(alice), emu.group()
    await asyncio.to_thread(emu.send_sticker, chat, alice)
    [reply] = await emu.await_bot_messages(chat)
    assert reply["text"] == "我只能回答文字问题，请用文字提问。"
    await asyncio.to_thread(emu.send_sticker, group, alice)
    await asyncio.to_thread(emu.service_message, group, alice, new_chat_members=[emu.user()])
    asked = await emu.asend(group, alice, f"/ask {BYTEDANCE}")
    [answer] = await emu.await_bot_messages(group, reply_to_message_id=asked["message_id"])
    assert "50万" in answer["text"] and emu.bot_messages(group) == [answer]   # alice's turns are in order: the sticker and join came before


@pytest.mark.slow                    # streamed answers with real delays
async def test_llm_answers_stream_as_drafts_in_private_and_edits_in_groups(emu, scripted_llm, index_settings,
                                                                            embedder, tmp_path):
    emu.reset()
    llm_engine = engine_with_llm(scripted_llm.base_url, index_settings, embedder)
    written = "字节跳动在中国境内拥有超过50万个GPU[1]。它是Oracle最大的GPU客户[1]。"
    async with running_bot(emu, llm_engine, tmp_path):
        alice = emu.user()
        chat = emu.private_chat(alice)
        scripted_llm.reply(written, chunk_size=3, delay_s=0.25)   # ~2 s: drafts, and "typing…" after 1 s
        await emu.asend(chat, alice, BYTEDANCE)
        [answer] = await emu.await_bot_messages(chat)
        drafts = emu.drafts(chat)
        assert any(a["action"] == "typing" for a in emu.chat_actions(chat))
        assert len(drafts) >= 2 and drafts[0]["text"] != drafts[-1]["text"]
        assert answer["text"].startswith(written.split("[1]")[0]) and "Oracle" in answer["text"]   # re-cited, same words
        assert any(d.startswith("p:") for d in buttons(answer))

        # a follow-up by reply hands the earlier turn to the model
        scripted_llm.reply("华为通过建立一大批公司的网络获取所需材料[1]。", chunk_size=4)
        await emu.asend(chat, alice, "那华为呢？", reply_to=answer)
        [follow_up] = await emu.await_bot_messages(chat, after=answer)
        assert "华为" in follow_up["text"] or follow_up["reply_markup"]
        prompt = scripted_llm.requests[-1]["messages"][1]["content"]
        assert BYTEDANCE in prompt and prompt.index(BYTEDANCE) < prompt.index("那华为呢？")    # the earlier turn

        group = emu.supergroup()
        # the first sentence at once, then a 1 s pause while the placeholder is up, then the rest
        scripted_llm.fail("stall_mid_stream", seconds=1.0, after_chunks=written.index("它") // 2 + 1, chunk_size=2,
                          text=written)
        await emu.asend(group, alice, f"/ask {BYTEDANCE}")
        [edited] = await sentinel(emu, group, alice)
        preview, final = edited["history"][0], edited["history"][-1]
        assert preview["method"] == "sendMessage" and "来源" not in preview["text"] and final["method"] == "editMessageText"
        assert edited["parse_mode"] == "HTML" and buttons(edited)
        assert emu.drafts(group) == []


async def test_a_long_answer_is_split_under_the_limit_with_buttons_on_the_last_part(emu, scripted_llm, index_settings,
                                                                                   embedder, tmp_path, monkeypatch):
    import re

    import bot.llm_text
    monkeypatch.setattr(bot.llm_text, "MAX_ANSWER_CHARS", 100_000)     # the LLM path caps answers; not here

    from index.text import split_sentences

    def every_sentence_seven_times(request: dict) -> str:
        passages = re.findall(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', request["messages"][1]["content"], re.S)
        once = "".join(f"{s}[{n}]" for n, text in passages for s in split_sentences(text))
        return once * 7

    emu.reset()
    scripted_llm.reply_with(every_sentence_seven_times, chunk_size=400)
    async with running_bot(emu, engine_with_llm(scripted_llm.base_url, index_settings, embedder), tmp_path):
        user = emu.user()
        group = emu.group()
        asked = await emu.asend(group, user, f"/ask {BYTEDANCE}")
        parts = await sentinel(emu, group, user)
    assert len(parts) >= 2 and all(p["parse_mode"] == "HTML" and len(p["text"]) <= 4096 for p in parts)
    assert parts[0]["reply_to_message_id"] == asked["message_id"]
    assert [bool(p["reply_markup"]) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert "来源" in parts[-1]["text"]


async def test_reload_picks_up_a_new_article_without_a_restart(emu, engine, index_settings, embedder, tmp_path):
    import dataclasses
    import shutil

    from bot.engine import Engine
    from bot.settings import Settings

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(index_settings.corpus_dir, corpus)
    shutil.copytree(index_settings.index_dir, index_dir)
    own = Engine(Settings(index=dataclasses.replace(index_settings, corpus_dir=corpus, index_dir=index_dir)),
                 embedder=embedder, progress=False)
    emu.reset()
    async with running_bot(emu, own, tmp_path):
        admin = emu.user(id=ADMIN_ID)
        chat = emu.private_chat(admin)
        (corpus / "tea.md").write_text("---\ntitle: Tea in Yunnan\nlanguage: en\n---\n\n"
                                       "Pu'er tea is fermented for up to fifteen years in Yunnan province.\n",
                                       encoding="utf-8")
        await emu.asend(chat, admin, "/reload")
        [done] = await emu.await_bot_messages(chat, text_contains="索引已更新", timeout=60)
        assert "indexed 2 articles" in done["text"]
        await emu.asend(chat, admin, "How long is Pu'er tea fermented?")
        [answer] = await emu.await_bot_messages(chat, text_contains="fifteen", timeout=30)
        assert "Tea in Yunnan" in answer["text"]


async def test_slow_llm_answers_for_many_chats_are_written_at_the_same_time(emu, scripted_llm, index_settings,
                                                                         embedder, tmp_path):
    import time

    arrivals = []

    def slow_answer(request: dict) -> str:
        arrivals.append(time.monotonic())
        return "字节跳动在中国境内拥有超过50万个GPU[1]。"       # streamed over ~2 s (below)

    emu.reset()
    scripted_llm.reply_with(slow_answer, chunk_size=2, delay_s=0.15)
    async with running_bot(emu, engine_with_llm(scripted_llm.base_url, index_settings, embedder), tmp_path):
        chats = []
        for _ in range(12):                 # more than the event loop's default thread pool holds
            user = emu.user()
            chats.append(emu.private_chat(user))
            await emu.asend(chats[-1], user, BYTEDANCE)
        for chat in chats:
            [answer] = await emu.await_bot_messages(chat, timeout=60)
            assert "50万" in answer["text"]
    assert len(arrivals) == 12 and max(arrivals) - min(arrivals) < 1.5   # no answer waited for another's stream
