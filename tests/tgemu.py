"""Test helper: a local Telegram Bot API emulator and the users who talk to the bot.

The bot under test is a real python-telegram-bot ``Application`` pointed at the emulator::

    from tgemu import TelegramEmulator

    with TelegramEmulator() as emu:                      # starts tests/emulator/server.py
        app = (ApplicationBuilder().token(emu.token)
               .base_url(emu.base_url).base_file_url(emu.base_file_url).build())
        # or, for a bot reading TELEGRAM_API_BASE_URL: set it to emu.api_root
        alice = emu.user(first_name="Alice")
        emu.send(emu.private_chat(alice), alice, "这篇文章讲什么？")
        [answer] = emu.wait_bot_messages(alice["id"])   # final state, after edits
        assert "..." in answer["text"]

In ``async`` tests where the Application runs on the test's own event loop, never block the
loop while waiting for the bot: use ``await emu.await_bot_messages(...)`` (``asend``/``apress``
exist too). Every other call returns at once and can be made directly.

Objects are plain Bot API dicts. User actions that create messages (send*, service_message,
create_topic) need the chat dict; elsewhere a chat id works too. Message arguments accept a
message dict, a ``bot_messages()`` record or a message id.

Start / stop
    TelegramEmulator(*, bot_username="ArticleQABot", bot_name="Article QA Bot", bot_id=123456,
                     privacy_mode=False, strict_amp=False, startup_timeout=10.0)
    .start() / .stop() or ``with``; .reset(*, privacy_mode=None, strict_amp=None)
    .api_root  .base_url  .base_file_url  .token  .bot_username  .bot_user  .startup_seconds
People and chats (local constructors; a chat becomes known to the emulator with its first message)
    user(id=None, first_name=None, username=None, language_code="zh-hans", is_bot=False,
         last_name=None) -> User
    private_chat(user) -> Chat;  group(title="Test group") -> Chat
    supergroup(title="Test supergroup", forum=False, username=None) -> Chat
    create_topic(chat, user, name="Topic") -> message_thread_id
User actions (return the object as delivered to the bot)
    send(chat, user, text, *, entities=None, reply_to=None, thread_id=None, **extra) -> Message
    mention_text(*parts) -> (text, entities)      # parts: str | User (-> @mention/text_mention)
    press(chat, user, bot_message, data) -> CallbackQuery
    edit_user_message(chat, message, text, *, entities=None) -> Message (edited_message update)
    send_sticker(chat, user, emoji="👍", *, reply_to=None, thread_id=None) -> Message
    send_photo(chat, user, caption=None, *, caption_entities=None, reply_to=None,
               thread_id=None) -> Message
    service_message(chat, user, **fields) -> Message   # e.g. new_chat_members=[emu.bot_user]
    inject_update(**update) -> Update                  # e.g. my_chat_member={...}
    send_as(chat, sender_chat, text, ...) -> Message    # anonymous admin / posting as a channel
    channel(title="Test channel") -> Chat;  set_member_status(chat, user, "administrator")
    react(chat, user, message, *emoji) -> Update       # message_reaction (if allowed_updates)
    inline_query(user, query) -> InlineQuery           # needs reset(inline_mode=True)
    choose_inline_result(chat, query_id, result_id) -> Message "via @bot"
Faults and chat states
    fail_next(method, *, status=429, retry_after=1, description=None, times=1, chat_id=None,
              parameters=None)
    kick_bot(chat, by=None); block_bot(user); restore_bot(chat, by=None)
    migrate_group(group, by=None) -> the new supergroup Chat
Observations
    bot_messages(chat, thread_id=None, *, after=None, include_deleted=False) -> [record]
    wait_bot_messages(chat, count=1, timeout=15.0, *, settle=0.0, **filters) -> [record]
        filters: thread_id=, after=<message_id>, text_contains=, any record key=value|predicate
    chat_history(chat) -> every Message (users' and bot's) in its final state
    chat_actions(chat), drafts(chat), callback_answers(), calls(method=None)
    reactions(chat=None), inline_answers(), wait_inline_answer(query_id)
    wait_until(predicate, timeout=15.0), settle(seconds)   # wait on the bot's changes, not on sleeps
Async
    asend(...), apress(...), aedit(...), await_bot_messages(...), await_inline_answer(...),
    await_change(predicate)

A bot message record: message_id, chat_id, message_thread_id, text (plain), entities,
html (the source when parse_mode was HTML), parse_mode, reply_markup (inline, as echoed),
reply_markup_sent, reply_to_message_id, date, edit_date, deleted, history (every version:
sendMessage then each edit), message (the full Bot API Message).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import selectors
import subprocess
import sys
import time
from typing import Any

import httpx

__all__ = ["TelegramEmulator", "EmulatorError", "EmulatorTimeout", "utf16_len"]

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "emulator", "server.py")


class EmulatorError(RuntimeError):
    """The emulator refused a test-side request (bad arguments, unknown message...)."""


class EmulatorTimeout(AssertionError):
    """wait_bot_messages() gave up; the message lists what the chat does contain."""


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(s.encode("utf-16-le")) // 2


def _chat_id(chat) -> int | str:
    return chat["id"] if isinstance(chat, dict) else chat


def _message_id(message) -> int:
    if isinstance(message, dict):
        return message["message_id"]
    return int(message)


class TelegramEmulator:
    def __init__(self, *, bot_username: str = "ArticleQABot", bot_name: str = "Article QA Bot",
                 bot_id: int = 123456, privacy_mode: bool = False, strict_amp: bool = False,
                 startup_timeout: float = 10.0):
        self.bot_username, self.bot_id = bot_username, bot_id
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": bot_name,
                         "username": bot_username}
        self.token = f"{bot_id}:TEST-token-{os.getpid()}"
        self._args = ["--bot-id", str(bot_id), "--bot-username", bot_username,
                      "--bot-name", bot_name] + (["--privacy-mode"] if privacy_mode else []) \
            + (["--strict-amp"] if strict_amp else [])
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self._http: httpx.Client | None = None
        self._ids = itertools.count(1_000_001)
        self.api_root = ""
        self.startup_seconds = float("nan")

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return self.api_root + "/bot"

    @property
    def base_file_url(self) -> str:
        return self.api_root + "/file/bot"

    def start(self) -> "TelegramEmulator":
        t0 = time.perf_counter()
        self._proc = subprocess.Popen(
            [sys.executable, SERVER, "--port", "0", "--exit-on-stdin-eof", *self._args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            ready = sel.select(self._startup_timeout)
        line = self._proc.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise EmulatorError(f"emulator did not start within {self._startup_timeout}s")
        self.api_root = f"http://127.0.0.1:{json.loads(line)['port']}"
        self._http = httpx.Client(base_url=self.api_root, trust_env=False, timeout=60.0)
        self.startup_seconds = time.perf_counter() - t0
        return self

    def stop(self) -> None:
        """Stop the server: close its stdin, then SIGTERM, then SIGKILL. Never hangs."""
        if self._http is not None:
            self._http.close()
            self._http = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.stdin.close()  # the server exits on EOF, open long-polls included
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()

    def __enter__(self) -> "TelegramEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _call(self, op: str, **payload) -> Any:
        if self._http is None:
            raise EmulatorError("the emulator is not running")
        resp = self._http.post(f"/_test/{op}", json=payload)
        body = resp.json()
        if not body.get("ok"):
            raise EmulatorError(f"{op}: {body.get('description')}")
        return body["result"]

    def reset(self, *, privacy_mode: bool | None = None, strict_amp: bool | None = None,
              inline_mode: bool | None = None) -> None:
        """Forget all chats, messages, updates, faults and records. ``inline_mode``: whether the
        bot accepts inline queries (BotFather /setinline; off until turned on)."""
        options = {"privacy_mode": privacy_mode, "strict_amp": strict_amp, "inline_mode": inline_mode}
        self._call("reset", **{k: v for k, v in options.items() if v is not None})

    # ----------------------------------------------------- people and chats
    def user(self, id: int | None = None, first_name: str | None = None,
             username: str | None = None, language_code: str | None = "zh-hans",
             is_bot: bool = False, last_name: str | None = None) -> dict:
        uid = id if id is not None else next(self._ids)
        user = {"id": uid, "is_bot": is_bot, "first_name": first_name or f"User{uid}"}
        if last_name:
            user["last_name"] = last_name
        user["username"] = username if username is not None else f"user{uid}"
        if not user["username"]:
            del user["username"]
        if language_code and not is_bot:
            user["language_code"] = language_code
        return user

    def private_chat(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def group(self, title: str = "Test group") -> dict:
        return {"id": -next(self._ids), "type": "group", "title": title}

    def supergroup(self, title: str = "Test supergroup", forum: bool = False,
                   username: str | None = None) -> dict:
        chat = {"id": -1_000_000_000_000 - next(self._ids), "type": "supergroup", "title": title}
        if username:
            chat["username"] = username
        if forum:
            chat["is_forum"] = True
        return chat

    def create_topic(self, chat: dict, user: dict, name: str = "Topic") -> int:
        """Create a forum topic (a forum_topic_created service message); returns its thread id."""
        return self._call("topic", chat=chat, name=name, **{"from": user})["message_thread_id"]

    # --------------------------------------------------------- user actions
    def _user_message(self, chat: dict, user: dict, *, reply_to=None, thread_id=None,
                      **payload) -> dict:
        if not isinstance(chat, dict):
            raise TypeError("pass the chat dict (from private_chat/group/supergroup)")
        payload.update(chat=chat, **{"from": user})
        if reply_to is not None:
            payload["reply_to_message_id"] = _message_id(reply_to)
        if thread_id is not None:
            payload["message_thread_id"] = thread_id
        return self._call("message", **payload)["message"]

    def send(self, chat: dict, user: dict, text: str, *, entities: list[dict] | None = None,
             reply_to=None, thread_id: int | None = None, **extra) -> dict:
        """A user sends a text message. Telegram's auto entities (/commands, @mentions, URLs,
        #hashtags...) are added to ``entities``. ``thread_id`` in a forum creates the topic if
        needed. ``extra`` fields go into the Message as-is (e.g. forward_origin, via_bot)."""
        return self._user_message(chat, user, reply_to=reply_to, thread_id=thread_id, text=text,
                                  entities=entities, fields=extra)

    # Telegram's stand-ins for messages sent on behalf of a chat (Message.sender_chat)
    ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                       "username": "GroupAnonymousBot"}
    CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel",
                   "username": "Channel_Bot"}

    def channel(self, title: str = "Test channel", username: str | None = None) -> dict:
        chat = {"id": -1001_000_000_000 - next(self._ids), "type": "channel", "title": title}
        if username:
            chat["username"] = username
        return chat

    def send_as(self, chat: dict, sender_chat: dict, text: str, *, entities=None, reply_to=None,
                thread_id: int | None = None, **extra) -> dict:
        """A message sent on behalf of a chat: an anonymous admin (sender_chat is the group itself,
        from @GroupAnonymousBot) or someone posting as a channel (from @Channel_Bot)."""
        sender = self.ANONYMOUS_ADMIN if sender_chat["id"] == chat["id"] else self.CHANNEL_BOT
        return self.send(chat, sender, text, entities=entities, reply_to=reply_to,
                         thread_id=thread_id, sender_chat=sender_chat, **extra)

    def set_member_status(self, chat, user: dict, status: str) -> None:
        """getChatMember's answer for this user: creator|administrator|member|restricted|left|kicked
        (default: member once they have written in the chat, else left)."""
        self._call("member_status", chat_id=_chat_id(chat), user=user, status=status)

    def react(self, chat, user: dict, message, *emoji: str) -> dict:
        """The user sets their reactions on a message (none = remove): a message_reaction update."""
        return self._call("react", chat_id=_chat_id(chat), message_id=_message_id(message),
                          emoji=list(emoji), **{"from": user})

    def inline_query(self, user: dict, query: str, *, chat_type: str | None = "sender",
                     offset: str = "") -> dict:
        """The user types "@bot query" (needs reset(inline_mode=True), i.e. BotFather /setinline)."""
        return self._call("inline_query", query=query, chat_type=chat_type, offset=offset,
                          **{"from": user})

    def inline_answers(self) -> list[dict]:
        """answerInlineQuery calls that succeeded; each result of type article has ``_parsed``
        (the message text and entities it would send)."""
        return self._call("inline_answers")

    def wait_inline_answer(self, query_id: str, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        version = -1
        while True:
            found = [a for a in self.inline_answers() if a["inline_query_id"] == query_id]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise EmulatorTimeout(f"inline query {query_id} not answered within {timeout}s; "
                                      f"calls: {self.calls('answerInlineQuery')}")
            version = self._call("wait", version=version, timeout=min(1.0, timeout))["version"]

    def choose_inline_result(self, chat: dict, query_id: str, result_id: str) -> dict:
        """The user sends a result to ``chat``: their message "via @bot" with its text."""
        return self._call("choose_inline_result", chat=chat, inline_query_id=query_id,
                          result_id=result_id)

    def reactions(self, chat=None) -> list[dict]:
        """setMessageReaction calls that succeeded (chat_id, message_id, reaction, is_big)."""
        return self._call("reactions", chat_id=None if chat is None else _chat_id(chat))

    def mention_text(self, *parts: str | dict) -> tuple[str, list[dict]]:
        """Build text with mentions: ``mention_text(emu.bot_user, " 总结一下")`` ->
        ("@ArticleQABot 总结一下", [mention entity]). A user without username becomes a
        text_mention of their first name. Offsets are in UTF-16 code units."""
        text, entities = "", []
        for part in parts:
            if isinstance(part, str):
                text += part
                continue
            label = "@" + part["username"] if part.get("username") else part["first_name"]
            entity = {"type": "mention", "offset": utf16_len(text), "length": utf16_len(label)}
            if not part.get("username"):
                user = {k: part[k] for k in ("id", "is_bot", "first_name", "last_name")
                        if k in part}
                entity.update(type="text_mention", user=user)
            entities.append(entity)
            text += label
        return text, entities

    def press(self, chat, user: dict, bot_message, data: str) -> dict:
        """A user presses the inline button with ``callback_data == data`` (it must exist)."""
        return self._call("callback", chat_id=_chat_id(chat), message_id=_message_id(bot_message),
                          data=data, **{"from": user})

    def edit_user_message(self, chat, message, text: str, *,
                          entities: list[dict] | None = None) -> dict:
        return self._call("edit", chat_id=_chat_id(chat), message_id=_message_id(message),
                          text=text, entities=entities)

    def send_sticker(self, chat: dict, user: dict, emoji: str = "👍", *, reply_to=None,
                     thread_id: int | None = None) -> dict:
        n = next(self._ids)
        sticker = {"file_id": f"CAACAgIAAxkBAAE{n}", "file_unique_id": f"AgAD{n}",
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": emoji, "file_size": 23456}
        return self._user_message(chat, user, reply_to=reply_to, thread_id=thread_id,
                                  fields={"sticker": sticker})

    def send_photo(self, chat: dict, user: dict, caption: str | None = None, *,
                   caption_entities: list[dict] | None = None, reply_to=None,
                   thread_id: int | None = None) -> dict:
        n = next(self._ids)
        photo = [{"file_id": f"AgACAgIAAxkBAAE{n}{suffix}", "file_unique_id": f"AQAD{n}{suffix}",
                  "width": w, "height": h, "file_size": w * h // 10}
                 for suffix, w, h in (("s", 90, 67), ("m", 320, 240), ("x", 1280, 960))]
        return self._user_message(chat, user, reply_to=reply_to, thread_id=thread_id,
                                  caption=caption, caption_entities=caption_entities,
                                  fields={"photo": photo})

    def service_message(self, chat: dict, user: dict, **fields) -> dict:
        """E.g. service_message(group, alice, new_chat_members=[emu.bot_user])."""
        return self._user_message(chat, user, fields=fields)

    def inject_update(self, **update) -> dict:
        """Any other update, e.g. inject_update(my_chat_member={...}); update_id is assigned."""
        return self._call("update", update=update)

    # ------------------------------------------------ faults and chat states
    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1,
                  description: str | None = None, times: int = 1, chat_id=None,
                  parameters: dict | None = None) -> None:
        """The next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail with
        ``status``. 429 carries ``parameters.retry_after``; the description defaults to
        Telegram's ("Too Many Requests: retry after N", "Internal Server Error", ...)."""
        self._call("fail", method=method, status=status, retry_after=retry_after,
                   description=description, times=times,
                   chat_id=None if chat_id is None else _chat_id(chat_id), parameters=parameters)

    def kick_bot(self, chat, by: dict | None = None) -> None:
        """Bot removed from a group: calls for it get 403 "bot was kicked from the ... chat";
        the bot receives a my_chat_member update."""
        self._call("chat_status", chat_id=_chat_id(chat), status="kicked",
                   **{"from": by or self.user(id=1, first_name="Admin")})

    def block_bot(self, user: dict) -> None:
        """The user blocks the bot: calls get 403 "Forbidden: bot was blocked by the user"."""
        self._call("chat_status", chat_id=user["id"], status="blocked", **{"from": user})

    def restore_bot(self, chat, by: dict | None = None) -> None:
        self._call("chat_status", chat_id=_chat_id(chat), status="member",
                   **{"from": by or self.user(id=1, first_name="Admin")})

    def migrate_group(self, group, by: dict | None = None) -> dict:
        """Upgrade a basic group to a supergroup. Calls for the old id then get 400 with
        parameters.migrate_to_chat_id (PTB: telegram.error.ChatMigrated)."""
        return self._call("migrate", chat_id=_chat_id(group),
                          **{"from": by or self.user(id=1, first_name="Admin")})

    # --------------------------------------------------------- observations
    def bot_messages(self, chat, thread_id: int | None = None, *, after=None,
                     include_deleted: bool = False) -> list[dict]:
        """The bot's messages in ``chat`` (optionally one thread / only ids > ``after``)."""
        return self._call("bot_messages", chat_id=_chat_id(chat), thread_id=thread_id,
                          after=0 if after is None else _message_id(after),
                          include_deleted=include_deleted)

    def wait_bot_messages(self, chat, count: int = 1, timeout: float = 15.0, *,
                          settle: float = 0.0, **filters) -> list[dict]:
        """Wait until at least ``count`` bot messages in ``chat`` match ``filters``; return all
        matching ones. ``settle``: then also wait until the bot has been idle for that many
        seconds (e.g. to see a streamed answer in its final state)."""
        filters = dict(filters)
        query = {"chat_id": _chat_id(chat), "thread_id": filters.pop("thread_id", None),
                 "after": _message_id(filters.pop("after", None) or 0)}
        contains = filters.pop("text_contains", None)

        def matches(m: dict) -> bool:
            if contains is not None and contains not in (m["text"] or ""):
                return False
            return all(v(m.get(k)) if callable(v) else m.get(k) == v for k, v in filters.items())

        deadline = time.monotonic() + timeout
        version = -1
        while True:
            remaining = deadline - time.monotonic()
            state = self._call("wait_bot_messages", **query, count=count, version=version,
                               timeout=max(0.0, min(remaining, 10.0)))
            found = [m for m in state["messages"] if matches(m)]
            if len(found) >= count:
                if settle <= 0 or self._call("wait", version=state["version"],
                                             timeout=settle)["version"] == state["version"]:
                    return found
            elif remaining <= 0:
                raise EmulatorTimeout(
                    f"expected >= {count} bot message(s) in chat {_chat_id(chat)} matching "
                    f"{dict(query, text_contains=contains, **filters)} within {timeout}s, found "
                    f"{len(found)}; all bot messages there: "
                    f"{[(m['message_id'], m['text']) for m in self.bot_messages(chat)]}")
            version = state["version"]

    def chat_history(self, chat) -> list[dict]:
        """Every message in the chat (users' and the bot's), final state; ``_deleted`` and
        ``_by_bot`` flags added."""
        return self._call("messages", chat_id=_chat_id(chat))

    def chat_actions(self, chat) -> list[dict]:
        return self._call("chat_actions", chat_id=_chat_id(chat))

    def drafts(self, chat) -> list[dict]:
        """sendMessageDraft calls, in order: draft_id, text, entities, html, parse_mode..."""
        return self._call("drafts", chat_id=_chat_id(chat))

    def callback_answers(self) -> list[dict]:
        return self._call("callback_answers")

    def calls(self, method: str | None = None) -> list[dict]:
        """Every Bot API call the bot made (method, decoded params, time)."""
        return self._call("calls", method=method)

    # ---------------------------------------------------------------- async
    async def asend(self, *args, **kwargs) -> dict:
        return await asyncio.to_thread(self.send, *args, **kwargs)

    async def apress(self, *args, **kwargs) -> dict:
        return await asyncio.to_thread(self.press, *args, **kwargs)

    async def await_bot_messages(self, *args, **kwargs) -> list[dict]:
        return await asyncio.to_thread(self.wait_bot_messages, *args, **kwargs)

    async def aedit(self, *args, **kwargs) -> dict:
        return await asyncio.to_thread(self.edit_user_message, *args, **kwargs)

    async def await_inline_answer(self, *args, **kwargs) -> dict:
        return await asyncio.to_thread(self.wait_inline_answer, *args, **kwargs)

    async def await_change(self, predicate, timeout: float = 15.0):
        """Wait until ``predicate()`` is truthy (see wait_until); return its value."""
        return await asyncio.to_thread(self.wait_until, predicate, timeout)

    # ---------------------------------------------------------- waiting on events
    def wait_until(self, predicate, timeout: float = 15.0):
        """Wait until ``predicate()`` is truthy, re-checking whenever the bot changes something
        (a message, an edit, a reaction, a callback or inline answer...); return its value."""
        deadline = time.monotonic() + timeout
        version = -1
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EmulatorTimeout(f"condition not met within {timeout}s")
            version = self._call("wait", version=version, timeout=min(remaining, 1.0))["version"]

    def settle(self, seconds: float) -> None:
        """Return once the bot has changed nothing for ``seconds``."""
        version = self._call("wait", version=-1)["version"]
        while True:
            now = self._call("wait", version=version, timeout=seconds)["version"]
            if now == version:
                return
            version = now
