"""The Telegram Bot API emulator (tests/emulator/) against a real PTB 22.8 Application."""

import asyncio
import datetime as dtm
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import (ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          MessageHandler, TypeHandler, filters)

from tgemu import EmulatorError, EmulatorTimeout, TelegramEmulator

FIGURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def emu():
    with TelegramEmulator() as emulator:
        FIGURES["emulator startup"] = f"{emulator.startup_seconds * 1000:.0f} ms"
        yield emulator


@pytest.fixture(autouse=True)
def fresh(emu, monkeypatch):
    # Without it PTB warns (an error here) when it builds RetryAfter; bots should set it too.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu.reset()


@pytest.fixture
async def app(emu):
    """A tiny PTB bot: echo, /start with buttons, button presses; records what it saw."""
    seen: list[Update] = []

    async def record(update, context):
        seen.append(update)

    async def echo(update, context):
        msg = update.effective_message
        context.bot_data.setdefault("sent", []).append(await msg.reply_text(f"echo: {msg.text}"))

    async def start(update, context):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a"),
                                          InlineKeyboardButton("B", callback_data="b")]])
        await update.message.reply_text("<b>Pick</b> one", parse_mode="HTML",
                                        reply_markup=keyboard)

    async def button(update, context):
        query = update.callback_query
        context.bot_data["answered"] = await query.answer(f"pressed {query.data}")
        await query.edit_message_text(f"chose {query.data}")

    application = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
                   .base_file_url(emu.base_file_url).build())
    application.add_handler(TypeHandler(Update, record), group=-1)
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(button))
    application.bot_data["seen"] = seen
    t0 = time.perf_counter()
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0,
                                                timeout=dtm.timedelta(seconds=10))
        FIGURES.setdefault("PTB app initialized + polling",
                           f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        yield application
        await application.updater.stop()
        await application.stop()


async def eventually(predicate, timeout: float = 5.0) -> None:
    """For facts on the bot's side, which may lag behind what the emulator already shows."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def wait_for_call(emu, method: str, count: int, timeout: float = 5.0) -> None:
    """Until the emulator's call log holds ``count`` calls of ``method``. A call is logged as it arrives, before it
    is served; a call is no change the emulator signals, so this polls the log."""
    deadline = time.monotonic() + timeout
    while len(emu.calls(method)) < count:
        assert time.monotonic() < deadline, f"no {method} call #{count} within {timeout}s"
        time.sleep(0.01)


def known_chat(emu, chat=None, user=None):
    """A chat the bot has heard from (sends an unhandled /command so nobody replies)."""
    user = user or emu.user()
    chat = chat or emu.private_chat(user)
    emu.send(chat, user, "/hello")
    return chat, user


async def test_get_me_and_private_echo(app, emu):
    assert app.bot.username == "ArticleQABot" and app.bot.can_join_groups is True
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    sent = await emu.asend(chat, alice, "你好 😀")
    [reply] = await emu.await_bot_messages(chat)
    assert reply["text"] == "echo: 你好 😀"
    message = reply["message"]
    assert message["from"] == emu.bot_user
    assert message["chat"]["type"] == "private"
    assert isinstance(message["date"], int) and abs(message["date"] - time.time()) < 5
    assert reply["reply_to_message_id"] is None  # PTB does not quote in private chats
    incoming = app.bot_data["seen"][-1].message
    assert incoming.message_id == sent["message_id"]
    assert incoming.from_user.language_code == "zh-hans"
    full = await app.bot.get_chat(chat["id"])  # ChatFullInfo with its required fields
    assert full.type == "private" and full.first_name == "Alice"


async def test_group_and_forum_topic_replies_have_ints_and_chat_types(app, emu):
    bob = emu.user()
    group = emu.group("读书会")
    user_msg = emu.send(group, bob, "hello group")
    [reply] = await emu.await_bot_messages(group)
    assert reply["message"]["chat"]["type"] == "group"
    assert reply["reply_to_message_id"] == user_msg["message_id"]  # PTB quotes in groups
    assert reply["message_thread_id"] is None

    forum = emu.supergroup("Papers", forum=True)
    topic = emu.create_topic(forum, bob, "Attention is all you need")
    user_msg = emu.send(forum, bob, "what is it about?", thread_id=topic)
    [reply] = await emu.await_bot_messages(forum)
    assert reply["message_thread_id"] == topic
    assert reply["message"]["is_topic_message"] is True
    assert reply["message"]["chat"] == {"id": forum["id"], "type": "supergroup",
                                        "title": "Papers", "is_forum": True}
    assert reply["reply_to_message_id"] == user_msg["message_id"]
    incoming = app.bot_data["seen"][-1].message  # what PTB parsed
    assert incoming.message_thread_id == topic and incoming.is_topic_message
    assert incoming.chat.type == "supergroup" and incoming.chat.is_forum
    # a topic message that is not a reply "replies" to the topic's creation message
    assert incoming.reply_to_message.forum_topic_created.name == "Attention is all you need"
    await eventually(lambda: len(app.bot_data["sent"]) == 2)  # reply_text() has returned
    returned = app.bot_data["sent"][-1]  # the Message PTB got back from sendMessage
    assert isinstance(returned.message_thread_id, int) and returned.message_thread_id == topic

    # explicit reply_parameters + message_thread_id through the bot API
    sent = await app.bot.send_message(forum["id"], "direct", message_thread_id=topic,
                                      reply_parameters=ReplyParameters(user_msg["message_id"]))
    assert sent.message_thread_id == topic and sent.reply_to_message.message_id == \
        user_msg["message_id"]
    assert sent.chat.type == "supergroup" and sent.reply_to_message.text == "what is it about?"
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await app.bot.send_message(forum["id"], "x", reply_parameters=ReplyParameters(9999))
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await app.bot.send_message(forum["id"], "x", message_thread_id=4242)


async def test_html_is_parsed_and_enforced(app, emu):
    chat, _ = known_chat(emu)
    with pytest.raises(BadRequest, match="(?i)can't parse entities: Can't find end tag"):
        await app.bot.send_message(chat["id"], "<b>oops", parse_mode="HTML")
    with pytest.raises(BadRequest, match='(?i)Unsupported start tag "br" at byte offset 2'):
        await app.bot.send_message(chat["id"], "a <br> b", parse_mode="HTML")
    with pytest.raises(BadRequest, match='(?i)Unsupported start tag "" at byte offset 2'):
        await app.bot.send_message(chat["id"], "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)Unmatched end tag"):
        await app.bot.send_message(chat["id"], "<b><i>x</b></i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await app.bot.send_message(chat["id"], "<b> </b>", parse_mode="HTML")
    sent = await app.bot.send_message(
        chat["id"], '<b>粗体</b> &lt;tag&gt; <a href="https://example.com">link</a> '
                    '<pre><code class="language-python">x = 1</code></pre>', parse_mode="HTML")
    assert sent.text == "粗体 <tag> link x = 1"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 2), ("text_link", 9, 4), ("pre", 14, 5)]
    assert sent.entities[1].url == "https://example.com/" and sent.entities[2].language == "python"
    [record] = emu.bot_messages(chat)
    assert record["html"].startswith("<b>粗体</b>") and record["parse_mode"] == "HTML"


async def test_length_limit_counts_utf16_after_parsing(app, emu):
    chat, _ = known_chat(emu)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await app.bot.send_message(chat["id"], "a" * 5000)
    await app.bot.send_message(chat["id"], "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await app.bot.send_message(chat["id"], "😀" * 2048)  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await app.bot.send_message(chat["id"], "😀" * 2049)


async def test_edits_not_modified_and_missing(app, emu):
    chat, _ = known_chat(emu)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("more", callback_data="more")]])
    sent = await app.bot.send_message(chat["id"], "same", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message is not modified: specified new message"):
        await sent.edit_text("same", reply_markup=keyboard)
    edited = await sent.edit_text("<i>changed</i>", parse_mode="HTML")  # drops the keyboard
    assert edited.text == "changed" and edited.reply_markup is None and edited.edit_date
    assert (await edited.edit_reply_markup(keyboard)).reply_markup == keyboard
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await edited.edit_reply_markup(keyboard)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await app.bot.edit_message_text("x", chat_id=chat["id"], message_id=9999)
    assert await sent.delete() is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await sent.delete()
    [record] = emu.bot_messages(chat, include_deleted=True)
    assert record["deleted"] and [(v["method"], v["text"]) for v in record["history"]] == [
        ("sendMessage", "same"), ("editMessageText", "changed"),
        ("editMessageReplyMarkup", "changed")]
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await app.bot.send_message(chat["id"], "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("long", callback_data="x" * 65)]]))


async def test_fault_injection(app, emu):
    group, admin = known_chat(emu, emu.group())
    emu.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(group["id"], "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await app.bot.send_message(group["id"], "hi")  # only the next call failed

    emu.fail_next("sendChatAction", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="(?i)Bad Gateway"):
            await app.bot.send_chat_action(group["id"], "typing")
    assert await app.bot.send_chat_action(group["id"], "typing") is True
    assert [a["action"] for a in emu.chat_actions(group)] == ["typing"]

    emu.kick_bot(group, by=admin)
    with pytest.raises(Forbidden, match="(?i)bot was kicked from the group chat"):
        await app.bot.send_message(group["id"], "hi")
    emu.restore_bot(group, by=admin)
    new = emu.migrate_group(group, by=admin)
    with pytest.raises(ChatMigrated) as migrated:
        await app.bot.send_message(group["id"], "hi")
    assert migrated.value.new_chat_id == new["id"] and new["type"] == "supergroup"
    assert (await app.bot.send_message(new["id"], "hi")).chat.type == "supergroup"


async def test_callback_query_round_trip(app, emu):
    carol = emu.user()
    chat = emu.private_chat(carol)
    emu.send(chat, carol, "/start")
    [menu] = await emu.await_bot_messages(chat)
    assert menu["text"] == "Pick one" and menu["entities"] == [
        {"type": "bold", "offset": 0, "length": 4}]
    query = await emu.apress(chat, carol, menu, "b")
    [final] = await emu.await_bot_messages(chat, text_contains="chose")
    assert final["text"] == "chose b" and final["reply_markup"] is None
    assert app.bot_data["answered"] is True
    [answer] = emu.callback_answers()
    assert answer["callback_query_id"] == query["id"] and answer["text"] == "pressed b"
    ptb_query = app.bot_data["seen"][-1].callback_query
    assert ptb_query.chat_instance and ptb_query.message.message_id == menu["message_id"]
    with pytest.raises(EmulatorError, match="(?i)no button"):
        emu.press(chat, carol, menu, "zzz")


async def test_send_message_draft_is_recorded(app, emu):
    chat, _ = known_chat(emu)
    assert await app.bot.send_message_draft(chat["id"], draft_id=7, text="<i>思考中</i>…",
                                            parse_mode="HTML") is True
    assert await app.bot.send_message_draft(chat["id"], draft_id=7, text="思考中… 完成") is True
    drafts = emu.drafts(chat)
    assert [(d["draft_id"], d["text"]) for d in drafts] == [(7, "思考中…"), (7, "思考中… 完成")]
    assert drafts[0]["entities"] == [{"type": "italic", "offset": 0, "length": 3}]
    group, _ = known_chat(emu, emu.group())
    with pytest.raises(BadRequest):
        await app.bot.send_message_draft(group["id"], draft_id=1, text="x")


async def test_injected_update_kinds_parse_in_ptb(app, emu):
    dave, other_bot = emu.user(username=""), emu.user(first_name="Helper", is_bot=True)
    group = emu.supergroup("Lab")
    text, entities = emu.mention_text("请问 ", emu.bot_user, " 和 ", dave, " 这篇文章？")
    asked = emu.send(group, dave, text, entities=entities)
    mine = (await emu.await_bot_messages(group))[0]
    emu.send(group, dave, "reply to the bot", reply_to=mine)
    emu.send(group, other_bot, "I am a bot")
    emu.edit_user_message(group, asked, "edited question")
    emu.send_sticker(group, dave)
    emu.send_photo(group, dave, caption="see https://example.com #paper")
    emu.service_message(group, dave, new_chat_members=[emu.bot_user])
    await emu.await_bot_messages(group, count=4)  # echoes of the 3 texts and of the edit
    seen = app.bot_data["seen"]
    await eventually(lambda: len(seen) == 7)
    mention = seen[0].message
    assert mention.parse_entities(["mention"]).popitem()[1] == "@ArticleQABot"
    assert mention.parse_entities(["text_mention"]).popitem()[0].user.id == dave["id"]
    assert seen[1].message.reply_to_message.from_user.id == emu.bot_id
    assert seen[1].message.message_thread_id == asked["message_id"]  # root of the reply chain
    assert seen[2].message.from_user.is_bot
    assert seen[3].edited_message.text == "edited question" and seen[3].edited_message.edit_date
    assert seen[4].message.sticker.emoji == "👍"
    photo = seen[5].message
    assert photo.caption.startswith("see") and {e.type for e in photo.caption_entities} == {
        "url", "hashtag"}
    assert seen[6].message.new_chat_members[0].id == emu.bot_id


async def test_privacy_mode_filters_group_messages(app, emu):
    emu.reset(privacy_mode=True)
    try:
        erin = emu.user()
        group = emu.group()
        emu.send(group, erin, "just chatting")
        text, entities = emu.mention_text(emu.bot_user, " summarize please")
        emu.send(group, erin, text, entities=entities)
        [reply] = await emu.await_bot_messages(group)
        assert reply["text"] == "echo: @ArticleQABot summarize please"
        with pytest.raises(EmulatorTimeout):
            await emu.await_bot_messages(group, count=2, timeout=0.5)
    finally:
        emu.reset(privacy_mode=False)


async def test_round_trip_latency(app, emu, capsys):
    frank = emu.user()
    chat = emu.private_chat(frank)
    times = []
    last = None
    for i in range(200):
        t0 = time.perf_counter()
        await emu.asend(chat, frank, f"message {i}")
        [last] = await emu.await_bot_messages(chat, after=last)
        times.append(time.perf_counter() - t0)
        assert last["text"] == f"echo: message {i}"
    FIGURES["round trip user->bot->user, median of 200"] = \
        f"{statistics.median(times) * 1000:.1f} ms (p95 " \
        f"{sorted(times)[int(len(times) * 0.95)] * 1000:.1f} ms)"
    with capsys.disabled():
        print("\n" + "\n".join(f"  {k}: {v}" for k, v in FIGURES.items()))


def test_raw_bot_api_contract(emu):
    """What PTB does not exercise above: long polling, offsets, allowed_updates, conflicts."""
    api = f"{emu.base_url}{emu.token}"
    with httpx.Client(trust_env=False, timeout=10) as http:
        r = http.post(f"{api}/noSuchMethod")
        assert r.status_code == 404 and r.json() == {
            "ok": False, "error_code": 404, "description": "Not Found: method not found"}

        t0 = time.perf_counter()
        assert http.post(f"{api}/getUpdates", data={"timeout": 1}).json()["result"] == []
        assert 0.9 < time.perf_counter() - t0 < 3  # the timeout is honoured

        user = emu.user()
        chat = emu.private_chat(user)
        threading.Timer(0.3, emu.send, (chat, user, "wake up")).start()
        t0 = time.perf_counter()
        [update] = http.post(f"{api}/getUpdates", json={"timeout": 5}).json()["result"]
        assert time.perf_counter() - t0 < 3 and update["message"]["text"] == "wake up"
        uid = update["update_id"]
        again = http.post(f"{api}/getUpdates", data={"offset": uid}).json()["result"]
        assert [u["update_id"] for u in again] == [uid]  # not confirmed yet: delivered again
        assert http.post(f"{api}/getUpdates", data={"offset": uid + 1}).json()["result"] == []

        sent = http.post(f"{api}/sendMessage", json={  # a JSON body works as well
            "chat_id": chat["id"], "text": "k",
            "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d"}]]}}).json()
        emu.send(chat, user, "filtered out")
        emu.press(chat, user, sent["result"], "d")
        only = http.post(f"{api}/getUpdates", data={
            "offset": uid + 1, "allowed_updates": '["callback_query"]'}).json()["result"]
        assert [list(u)[1] for u in only] == ["callback_query"]
        assert only[0]["callback_query"]["message"]["message_id"] == sent["result"]["message_id"]

        first = []
        calls = len(emu.calls("getUpdates")) + 1
        older = threading.Thread(target=lambda: first.append(http.post(
            f"{api}/getUpdates", data={"offset": only[0]["update_id"] + 1, "timeout": 5})))
        older.start()
        wait_for_call(emu, "getUpdates", calls)         # the older long poll is open now
        http.post(f"{api}/getUpdates", data={"timeout": 0})
        older.join(5)
        assert first[0].status_code == 409 and "terminated by other getUpdates" in \
            first[0].json()["description"]

        assert http.post(f"{api}/setWebhook", data={"url": "https://example.com/hook"}).json()[
            "result"] is True
        assert http.get(f"{api}/getWebhookInfo").json()["result"]["url"] == \
            "https://example.com/hook"
        assert http.post(f"{api}/getUpdates").status_code == 409
        assert http.post(f"{api}/deleteWebhook").json()["result"] is True
        assert http.post(f"{api}/setMyCommands", data={"commands": json.dumps(
            [{"command": "ask", "description": "提问"}])}).json()["result"] is True
        assert http.post(f"{api}/getMyCommands").json()["result"] == [
            {"command": "ask", "description": "提问"}]
        assert http.post(f"{api}/setMyCommands", data={"commands": json.dumps(
            [{"command": "Ask", "description": "x"}])}).json()["description"] == \
            "Bad Request: BOT_COMMAND_INVALID"


def test_stop_never_hangs_on_an_open_long_poll():
    emulator = TelegramEmulator().start()
    proc = emulator._proc
    outcome = []

    def long_poll():
        try:
            httpx.post(f"{emulator.base_url}{emulator.token}/getUpdates", data={"timeout": 30},
                       timeout=40, trust_env=False)
            outcome.append("answered")
        except httpx.HTTPError:
            outcome.append("connection closed")

    poll = threading.Thread(target=long_poll, daemon=True)
    poll.start()
    wait_for_call(emulator, "getUpdates", 1)            # the long poll is open now
    t0 = time.perf_counter()
    emulator.stop()
    assert time.perf_counter() - t0 < 3 and proc.poll() is not None
    poll.join(5)
    assert outcome == ["connection closed"]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_server_dies_with_a_killed_parent():
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]);"
            "from tgemu import TelegramEmulator;"
            "e = TelegramEmulator().start(); print(e._proc.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code, os.path.dirname(os.path.dirname(__file__))],
                              stdout=subprocess.PIPE)
    with parent:
        server_pid = int(parent.stdout.readline())
        assert _alive(server_pid)
        parent.kill()  # SIGKILL: no cleanup code runs in the parent
        parent.wait()
    deadline = time.monotonic() + 5
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)    # polling the process table: a process's exit is no emulator event
    assert not _alive(server_pid)


# -- what issue 12 needs: reactions, inline mode, messages on behalf of a chat, chat members --------

async def test_reactions_through_ptb_and_telegrams_limits(app, emu):
    from telegram import ReactionTypeEmoji

    alice = emu.user()
    chat = emu.private_chat(alice)
    asked = emu.send(chat, alice, "hello")
    await emu.await_bot_messages(chat)
    assert await app.bot.set_message_reaction(chat["id"], asked["message_id"], "👍") is True
    [reaction] = emu.reactions(chat)
    assert reaction["message_id"] == asked["message_id"] and reaction["reaction"] == [
        {"type": "emoji", "emoji": "👍"}]
    for bad_reaction, error in ((["🦖"], "REACTION_INVALID"),
                                ([ReactionTypeEmoji("👍"), ReactionTypeEmoji("👎")], "REACTIONS_TOO_MANY")):
        with pytest.raises(BadRequest, match="(?i)" + error):
            await app.bot.set_message_reaction(chat["id"], asked["message_id"], bad_reaction)
    with pytest.raises(BadRequest, match="(?i)message to react not found"):
        await app.bot.set_message_reaction(chat["id"], 999, "👍")
    assert await app.bot.set_message_reaction(chat["id"], asked["message_id"], []) is True   # removes it
    assert len(emu.reactions(chat)) == 2


def test_user_reactions_arrive_only_when_asked_for(emu):
    api = f"{emu.base_url}{emu.token}"
    alice = emu.user()
    chat = emu.private_chat(alice)
    emu.send(chat, alice, "hi")
    with httpx.Client(trust_env=False, timeout=10) as http:
        [hi] = http.post(f"{api}/getUpdates").json()["result"]
        sent = http.post(f"{api}/sendMessage", json={"chat_id": chat["id"], "text": "answer"}).json()["result"]
        emu.react(chat, alice, sent, "👍")
        # excluded by default, as on Telegram
        assert http.post(f"{api}/getUpdates", json={"offset": hi["update_id"] + 1}).json()["result"] == []
        emu.react(chat, alice, sent, "👎")
        [update] = http.post(f"{api}/getUpdates", json={"allowed_updates": ["message_reaction"]}).json()["result"]
        reaction = update["message_reaction"]
        assert reaction["old_reaction"] == [{"type": "emoji", "emoji": "👍"}]
        assert reaction["new_reaction"] == [{"type": "emoji", "emoji": "👎"}]
        assert reaction["user"]["id"] == alice["id"] and reaction["message_id"] == sent["message_id"]


async def test_inline_queries_and_answers_with_telegrams_limits(app, emu):
    from telegram import InlineQueryResultArticle, InputTextMessageContent

    alice = emu.user()
    with pytest.raises(EmulatorError, match="setinline"):
        emu.inline_query(alice, "hello")          # off until BotFather /setinline
    emu.reset(inline_mode=True)
    assert (await app.bot.get_me()).supports_inline_queries is True
    with pytest.raises(EmulatorError, match="256"):
        emu.inline_query(alice, "x" * 257)

    def article(rid, text="<b>answer</b> [1]"):
        return InlineQueryResultArticle(rid, "title", InputTextMessageContent(text, parse_mode="HTML"))

    query = emu.inline_query(alice, "question")
    for results, error in (([article("a"), article("a")], "RESULT_ID_DUPLICATE"),
                           ([article(str(i)) for i in range(51)], "RESULTS_TOO_MUCH"),
                           ([article("x" * 65)], "RESULT_ID_INVALID"),
                           ([article("a", "<b></b>")], "MESSAGE_EMPTY"),
                           ([article("a", "x" * 4097)], "MESSAGE_TOO_LONG"),
                           ([article("a", "<br>")], "can't parse entities")):
        with pytest.raises(BadRequest, match="(?i)" + error):
            await app.bot.answer_inline_query(query["id"], results)
    assert await app.bot.answer_inline_query(query["id"], [article("a")], cache_time=5) is True
    with pytest.raises(BadRequest, match="(?i)QUERY_ID_INVALID"):         # one answer per query
        await app.bot.answer_inline_query(query["id"], [article("b")])
    [answer] = emu.inline_answers()
    assert answer["query"] == "question" and answer["cache_time"] == 5
    assert answer["results"][0]["_parsed"]["text"] == "answer [1]"
    group = emu.group()
    sent = emu.choose_inline_result(group, query["id"], "a")
    assert sent["text"] == "answer [1]" and sent["via_bot"]["id"] == emu.bot_id
    assert sent["from"]["id"] == alice["id"]
    seen = app.bot_data["seen"]
    await eventually(lambda: any(u.inline_query for u in seen))
    assert next(u.inline_query for u in seen if u.inline_query).query == "question"


async def test_messages_on_behalf_of_a_chat_and_chat_members(app, emu):
    group, alice = emu.supergroup(), emu.user()
    emu.send(group, alice, "hi")
    anonymous = emu.send_as(group, group, "as the group")
    assert anonymous["from"]["username"] == "GroupAnonymousBot" and anonymous["sender_chat"]["id"] == group["id"]
    channel = emu.channel("News")
    as_channel = emu.send_as(group, channel, "as a channel")
    assert as_channel["from"]["username"] == "Channel_Bot" and as_channel["sender_chat"]["type"] == "channel"
    with pytest.raises(EmulatorError, match="Channel_Bot"):
        emu.send(group, alice, "forged", sender_chat=channel)
    seen = app.bot_data["seen"]
    await eventually(lambda: sum(bool(u.message and u.message.sender_chat) for u in seen) == 2)
    assert [u.effective_message.sender_chat.type for u in seen if u.message and u.message.sender_chat] == [
        "supergroup", "channel"]

    assert (await app.bot.get_chat_member(group["id"], alice["id"])).status == "member"
    emu.set_member_status(group, alice, "administrator")
    member = await app.bot.get_chat_member(group["id"], alice["id"])
    assert member.status == "administrator" and member.can_delete_messages
    assert [m.user.id for m in await app.bot.get_chat_administrators(group["id"])] == [alice["id"]]
    stranger = emu.user()
    emu.send(emu.private_chat(stranger), stranger, "/hello")
    assert (await app.bot.get_chat_member(group["id"], stranger["id"])).status == "left"
    with pytest.raises(BadRequest, match="(?i)user not found"):
        await app.bot.get_chat_member(group["id"], 777)

    emu.reset(privacy_mode=True)                  # privacy mode treats them as people, not as bots
    text, entities = emu.mention_text(emu.bot_user, " from the anonymous admin")
    emu.send_as(group, group, text, entities=entities)
    await eventually(lambda: any(u.message and (u.message.text or "").endswith("from the anonymous admin")
                                 for u in seen))
