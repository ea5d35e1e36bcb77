#!/usr/bin/env python3
"""A small Telegram Bot API emulator for tests (loopback HTTP, one bot, in-memory state).

CHOICE: a self-contained Python/tornado server instead of npm ``telegram-test-api@4.2.1``.
That package gets wrong almost every call a python-telegram-bot 22.8 bot makes (getMe without
is_bot, dates in ms, no ``from``, every chat "private", edits returning null, callback queries
without chat_instance, thread ids as strings, HTML never parsed, 500s for common methods, no
long polling, ``stop()`` hanging on open polls -- see /work/shared/notes/telegram-emulator.md).
A "compatibility layer" would have had to reimplement each of those methods plus its state
model, leaving the package as dead weight. Writing it directly is smaller and more faithful,
needs no npm install in CI (tornado is already installed: python-telegram-bot[webhooks]
depends on it) and keeps one language for the emulator, its helper and the tests.

Run:   python tests/emulator/server.py [--port 0] [--bot-id N] [--bot-username NAME] ...
It prints one JSON line ``{"port": N}`` on stdout once it listens, and exits on SIGTERM,
SIGINT, or (with --exit-on-stdin-eof) when stdin reaches EOF, so that it dies with the test
process that started it even if that one is killed.

Bot side:  /bot<token>/<method>   (any token is accepted; GET or POST; query string,
           form-encoded, multipart or JSON bodies).
Test side: /_test/<op>            (JSON in, ``{"ok": true, "result": ...}`` out); see
           tests/tgemu.py for the documented client and tests/emulator/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import http.client
import itertools
import json
import os
import re
import signal
import sys
import time

import tornado.httpserver
import tornado.netutil
import tornado.web

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tg_text  # noqa: E402

MAX_TEXT = 4096
COMMAND_RE = r"[a-z0-9_]{1,32}"
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note"}
DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
INLINE_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                  "copy_text", "callback_game", "pay")
# Real Bot API methods this emulator does not implement: answered with 501 so that a bot using
# them fails loudly instead of getting a misleading 404 ("method not found" -> InvalidToken).
REAL_UNIMPLEMENTED = {m.lower() for m in (
    "forwardMessage forwardMessages copyMessage copyMessages sendPhoto sendAudio sendDocument "
    "sendVideo sendAnimation sendVoice sendVideoNote sendPaidMedia sendMediaGroup sendLocation "
    "sendVenue sendContact sendPoll sendChecklist sendDice "
    "getUserProfilePhotos getFile banChatMember unbanChatMember restrictChatMember "
    "promoteChatMember getChatMemberCount leaveChat "
    "pinChatMessage unpinChatMessage unpinAllChatMessages editMessageCaption editMessageMedia "
    "stopPoll setMyName getMyName setMyDescription getMyDescription "
    "setMyShortDescription getMyShortDescription setChatMenuButton getChatMenuButton "
    "setMyDefaultAdministratorRights getMyDefaultAdministratorRights createForumTopic "
    "editForumTopic closeForumTopic reopenForumTopic deleteForumTopic sendSticker "
    "sendInvoice exportChatInviteLink setChatTitle setChatDescription").split()}

JSON_FIELDS = {"reply_markup", "reply_parameters", "entities", "caption_entities",
               "allowed_updates", "link_preview_options", "commands", "scope", "message_ids",
               "quote_entities", "reaction", "results", "button"}
INT_FIELDS = {"message_id", "message_thread_id", "draft_id", "offset", "limit", "timeout",
              "reply_to_message_id", "cache_time", "max_connections", "direct_messages_topic_id"}
BOOL_FIELDS = {"disable_notification", "protect_content", "allow_sending_without_reply",
               "show_alert", "drop_pending_updates", "disable_web_page_preview",
               "allow_paid_broadcast", "can_stop", "is_big", "is_personal"}
# ReactionTypeEmoji: the emoji a reaction may use (Bot API docs, "ReactionTypeEmoji")
REACTION_EMOJI = set("""❤ 👍 👎 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯
🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘
🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡""".split())
INLINE_RESULT_TYPES = {"article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document",
                       "location", "venue", "contact", "game", "sticker"}
MAX_INLINE_RESULTS = 50          # answerInlineQuery: "No more than 50 results per query are allowed."
MAX_INLINE_QUERY = 256           # InlineQuery.query: "Text of the query (up to 256 characters)"
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                   "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
MEMBER_STATUSES = {"creator", "administrator", "member", "restricted", "left", "kicked"}
JSON_ERRORS = {"reply_markup": "can't parse reply keyboard markup JSON object",
               "entities": "can't parse entities JSON object",
               "reply_parameters": "can't parse reply parameters JSON object"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def bad(description: str, **parameters) -> ApiError:
    return ApiError(400, "Bad Request: " + description, parameters or None)


def now() -> int:
    return int(time.time())


def coerce(params: dict) -> dict:
    """Bot API parameters arrive as strings (form data, nested values JSON-encoded) or JSON."""
    out = {}
    for key, value in params.items():
        if key in JSON_FIELDS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad(JSON_ERRORS.get(key, f"can't parse {key} JSON object")) from None
        elif key in INT_FIELDS and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise bad(f'wrong parameter "{key}" type') from None
        elif key in BOOL_FIELDS and isinstance(value, str):
            value = value.lower() in ("true", "1")
        elif key in ("chat_id", "user_id") and isinstance(value, str):
            value = value.strip()
            if value.lstrip("-").isdigit():
                value = int(value)
        out[key] = value
    return out


class Emulator:
    def __init__(self, bot_id: int, username: str, first_name: str, privacy_mode: bool,
                 strict_amp: bool):
        self.bot = {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}
        self.privacy_mode, self.strict_amp = privacy_mode, strict_amp
        self.inline_mode = False      # BotFather /setinline; reset(inline_mode=True) turns it on
        self.poller: asyncio.Future | None = None
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        if self.poller is not None and not self.poller.done():
            self.poller.set_result("reset")
        self.chats: dict[int, dict] = {}  # id -> {"chat", "status", "next_id", "messages", ...}
        self.users: dict[int, dict] = {self.bot["id"]: self.bot}
        self.updates: list[dict] = []
        if not hasattr(self, "update_ids"):      # never reused, as on Telegram: a bot polling across a reset
            self.update_ids = itertools.count(100000)   # keeps a valid offset
        self.allowed: set[str] | None = None
        self.webhook: dict | None = None
        self.commands: dict[str, list] = {}
        self.faults: list[dict] = []
        self.callbacks: dict[str, dict] = {}  # id -> {"query", "answer"}
        self.callback_ids = itertools.count(4000000000000000001)
        self.answers: list[dict] = []
        self.inline_queries: dict[str, dict] = {}   # id -> {"query", "answer"}
        self.inline_ids = itertools.count(5000000000000000001)
        self.reactions: list[dict] = []              # setMessageReaction calls that succeeded
        self.members: dict[tuple[int, int], str] = {}   # (chat id, user id) -> status
        self.calls: list[dict] = []
        self.version = 0
        self.changed = asyncio.Event()

    def bump(self) -> None:
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def register_chat(self, chat: dict) -> dict:
        cs = self.chats.get(chat["id"])
        if cs is None:
            cs = self.chats[chat["id"]] = {"chat": {}, "status": "member", "migrated_to": None,
                                           "next_id": 1, "messages": {}, "topics": {},
                                           "drafts": [], "actions": []}
        cs["chat"].update(chat)
        return cs

    def chat_state(self, chat_id, *, for_send: bool = True) -> dict:
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        if isinstance(chat_id, str):
            found = [cs for cs in self.chats.values()
                     if cs["chat"].get("username", "").lower() == chat_id.lstrip("@").lower()]
            if not chat_id.startswith("@") or not found:
                raise bad("chat not found")
            cs = found[0]
        else:
            cs = self.chats.get(chat_id)
            if cs is None:
                raise bad("chat not found")
        if cs["migrated_to"] is not None:
            raise bad("group chat was upgraded to a supergroup chat",
                      migrate_to_chat_id=cs["migrated_to"])
        if for_send and cs["status"] == "blocked":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if for_send and cs["status"] == "kicked":
            kind = "supergroup" if cs["chat"]["type"] == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        return cs

    def store(self, cs: dict, message: dict, *, by_bot: bool, source=None, parse_mode=None,
              markup_sent=None, method="sendMessage") -> dict:
        rec = {"message": message, "by_bot": by_bot, "deleted": False, "history": []}
        cs["messages"][message["message_id"]] = rec
        if by_bot:
            self.add_version(rec, method, source, parse_mode, markup_sent)
        return rec

    def add_version(self, rec, method, source, parse_mode, markup_sent) -> None:
        m = rec["message"]
        rec["history"].append({
            "method": method, "date": time.time(), "text": m.get("text"),
            "entities": m.get("entities", []),
            "html": source if (parse_mode or "").lower() == "html" else None,
            "parse_mode": parse_mode, "reply_markup": markup_sent})
        self.bump()

    def next_message_id(self, cs: dict) -> int:
        mid = cs["next_id"]
        cs["next_id"] += 1
        return mid

    def push_update(self, kind: str, payload: dict) -> dict:
        update = {"update_id": next(self.update_ids), kind: copy.deepcopy(payload)}
        self.updates.append(update)
        if self.poller is not None and not self.poller.done():
            self.poller.set_result("update")
        return update

    # --------------------------------------------------------- message model
    def build_message(self, cs: dict, sender: dict, *, thread_id=None, reply=None,
                      quote=None, fields: dict) -> dict:
        """A Message as Telegram returns it, with threads and reply_to_message resolved."""
        chat = cs["chat"]
        msg = {"message_id": 0, "from": sender, "chat": dict(chat), "date": now()}
        topic_starter = None
        if chat["type"] == "supergroup":
            if chat.get("is_forum"):
                if thread_id is None and reply is not None:
                    thread_id = reply["message"].get("message_thread_id")
                if thread_id is not None:
                    if thread_id not in cs["topics"]:
                        raise bad("message thread not found")
                    msg["message_thread_id"] = thread_id
                    msg["is_topic_message"] = True
                    topic_starter = cs["messages"].get(thread_id)
            elif reply is not None:
                rm = reply["message"]
                msg["message_thread_id"] = rm.get("message_thread_id", rm["message_id"])
            elif thread_id is not None:
                if thread_id not in cs["messages"]:
                    raise bad("message thread not found")
                msg["message_thread_id"] = thread_id
        if reply is None and topic_starter is not None:
            reply = topic_starter  # messages in a topic "reply" to its forum_topic_created
        if reply is not None:
            replied = {k: copy.deepcopy(v) for k, v in reply["message"].items()
                       if k != "reply_to_message"}
            msg["reply_to_message"] = replied
            if quote is not None:
                msg["quote"] = quote
        msg.update(fields)
        msg["message_id"] = self.next_message_id(cs)  # only once nothing can fail any more
        return msg

    def resolve_reply(self, cs: dict, p: dict) -> tuple[dict | None, dict | None]:
        rp = p.get("reply_parameters")
        if rp is None and p.get("reply_to_message_id") is not None:
            rp = {"message_id": p["reply_to_message_id"],
                  "allow_sending_without_reply": p.get("allow_sending_without_reply", False)}
        if rp is None:
            return None, None
        if not isinstance(rp, dict) or not isinstance(rp.get("message_id"), int):
            raise bad(JSON_ERRORS["reply_parameters"])
        target_cs = cs
        if rp.get("chat_id") not in (None, cs["chat"]["id"], cs["chat"].get("username")):
            target_cs = self.chat_state(rp["chat_id"], for_send=False)
        rec = target_cs["messages"].get(rp["message_id"])
        if rec is None or rec["deleted"] or target_cs is not cs:
            if rp.get("allow_sending_without_reply"):
                return None, None
            raise bad("message to be replied not found")
        quote = None
        if rp.get("quote"):
            source = rec["message"].get("text") or rec["message"].get("caption") or ""
            q = rp["quote"]
            if q not in source:
                raise bad("QUOTE_TEXT_INVALID")
            quote = {"text": q, "position": tg_text.utf16_len(source[:source.index(q)]),
                     "is_manual": True}
        return rec, quote

    def format_text(self, text, parse_mode, entities, *, edit: bool = False, empty_ok=False):
        """(text, entities) after Telegram's parsing, trimming and validation."""
        text = "" if text is None else str(text)
        mode = (parse_mode or "").strip()
        if mode.lower() == "html":
            try:
                text, ents = tg_text.parse_html(text, strict_amp=self.strict_amp,
                                                known_users=self.users)
            except tg_text.ParseError as exc:
                raise bad(f"can't parse entities: {exc}") from None
        elif mode:
            if mode.lower() in ("markdown", "markdownv2"):
                raise ApiError(501, f"Not Implemented: parse_mode {mode} is not supported by "
                                    "the test emulator (only HTML)")
            raise bad("unsupported parse_mode")
        else:
            if entities is not None and not isinstance(entities, list):
                raise bad(JSON_ERRORS["entities"])
            ents = tg_text.clip_entities(text, entities or [])
        text, ents = tg_text.trim(text, ents)
        if not text and not empty_ok:
            raise bad("message text is empty")
        if tg_text.utf16_len(text) > MAX_TEXT:
            raise bad("MESSAGE_TOO_LONG" if edit else "message is too long")
        return text, tg_text.auto_entities(text, ents)

    @staticmethod
    def check_markup(markup):
        """Validate reply_markup; return what Message.reply_markup echoes (inline only)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad(JSON_ERRORS["reply_markup"])
        if "inline_keyboard" not in markup:
            return None  # reply keyboards / remove / force_reply are not echoed in Message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of '
                      'Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                              "an Object")
                if not isinstance(button.get("text"), str):
                    raise bad('can\'t parse inline keyboard button: Field "text" must be of type '
                              'String')
                if not button["text"].strip():
                    raise bad("BUTTON_TEXT_INVALID")
                if not any(k in button for k in INLINE_ACTIONS):
                    raise bad("can't parse inline keyboard button: Text buttons are unallowed in "
                              "the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                        raise bad("BUTTON_DATA_INVALID")
                if "url" in button and (not isinstance(button["url"], str)
                                        or not button["url"].strip()):
                    raise bad("BUTTON_URL_INVALID")
        return {"inline_keyboard": [[dict(b) for b in row] for row in rows if row]}

    def should_deliver(self, cs: dict, msg: dict) -> bool:
        """Group privacy mode and bot-to-bot rules (only when privacy_mode is on)."""
        if not self.privacy_mode or cs["chat"]["type"] == "private":
            return True
        me = self.bot["username"].lower()
        text = msg.get("text") or msg.get("caption") or ""
        ents = msg.get("entities") or msg.get("caption_entities") or []

        def piece(e):
            b = text.encode("utf-16-le")
            return b[2 * e["offset"]:2 * (e["offset"] + e["length"])].decode("utf-16-le")

        command = [e for e in ents if e["type"] == "bot_command" and e["offset"] == 0]
        to_me_command = any(piece(e).lower().endswith("@" + me) for e in command)
        reply_to_me = msg.get("reply_to_message", {}).get("from", {}).get("id") == self.bot["id"]
        if msg["from"].get("is_bot") and not msg.get("sender_chat"):   # anonymous admins and channels are people
            return to_me_command or reply_to_me
        plain_command = any("@" not in piece(e) for e in command)
        mention = any(e["type"] == "mention" and piece(e).lower() == "@" + me or
                      e["type"] == "text_mention" and e["user"]["id"] == self.bot["id"]
                      for e in ents)
        service = not any(k in msg for k in ("text", "caption", "sticker", "photo", "document",
                                             "video", "voice", "audio", "animation", "poll"))
        return (to_me_command or plain_command or reply_to_me or mention or service
                or msg.get("via_bot", {}).get("id") == self.bot["id"])

    # ------------------------------------------------------------ Bot API
    async def call(self, method: str, p: dict, handler) -> object:
        name = method.lower()
        self.calls.append({"method": method, "params": p, "time": time.time()})
        for fault in self.faults:
            if fault["method"] == name and fault["times"] > 0 and (
                    fault.get("chat_id") is None or fault["chat_id"] == p.get("chat_id")):
                fault["times"] -= 1
                raise ApiError(fault["status"], fault["description"], fault.get("parameters"))
        fn = getattr(self, "m_" + name, None)
        if fn is None:
            if name in REAL_UNIMPLEMENTED:
                raise ApiError(501, f"Not Implemented: {method} is not supported by the test "
                                    "emulator")
            raise ApiError(404, "Not Found: method not found")
        result = fn(p, handler) if name == "getupdates" else fn(p)
        return await result if asyncio.iscoroutine(result) else result

    def m_getme(self, p):
        return {**self.bot, "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": self.inline_mode, "can_connect_to_business": False,
                "has_main_web_app": False, "has_topics_enabled": False,
                "allows_users_to_create_topics": False, "can_manage_bots": False,
                "supports_guest_queries": False}

    def m_logout(self, p):
        return True

    m_close = m_logout

    def m_setwebhook(self, p):
        if not p.get("url"):
            self.webhook = None
        else:
            self.webhook = {"url": p["url"], "allowed_updates": p.get("allowed_updates")}
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def m_deletewebhook(self, p):
        self.webhook = None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def m_getwebhookinfo(self, p):
        info = {"url": self.webhook["url"] if self.webhook else "",
                "has_custom_certificate": False, "pending_update_count": len(self.updates)}
        if self.webhook and self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _update_allowed(self, update: dict) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed:
            return kind in self.allowed
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def _pending(self, limit: int) -> list[dict]:
        self.updates = [u for u in self.updates if self._update_allowed(u)]
        return self.updates[:limit]

    async def m_getupdates(self, p, handler):
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset, timeout = p.get("offset", 0), max(0, p.get("timeout", 0))
        limit = min(max(p.get("limit", 100), 1), 100)
        if "allowed_updates" in p:
            self.allowed = set(p["allowed_updates"] or [])
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        if self.poller is not None and not self.poller.done():
            self.poller.set_result("conflict")
        deadline = time.monotonic() + timeout
        while True:
            pending = self._pending(limit)
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                return pending
            fut = self.poller = handler.waiter = asyncio.get_running_loop().create_future()
            try:
                reason = await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                continue
            finally:
                if self.poller is fut:
                    self.poller = None
            if reason == "conflict":
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                    "that only one bot instance is running")
            if reason in ("closed", "reset"):
                return []

    def m_setmycommands(self, p):
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands")
        for c in commands:
            if not isinstance(c, dict) or not re.fullmatch(COMMAND_RE, str(c.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def m_deletemycommands(self, p):
        self.commands.pop(self._commands_key(p), None)
        return True

    def m_getmycommands(self, p):
        return self.commands.get(self._commands_key(p), [])

    @staticmethod
    def _commands_key(p) -> str:
        return json.dumps([p.get("scope") or {"type": "default"}, p.get("language_code", "")],
                          sort_keys=True)

    def m_getchat(self, p):
        cs = self.chat_state(p.get("chat_id"))
        return {**cs["chat"], "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    def m_sendmessage(self, p):
        cs = self.chat_state(p.get("chat_id"))
        text, entities = self.format_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
        markup = self.check_markup(p.get("reply_markup"))
        reply, quote = self.resolve_reply(cs, p)
        fields = {"text": text}
        if entities:
            fields["entities"] = entities
        if markup:
            fields["reply_markup"] = markup
        if p.get("protect_content"):
            fields["has_protected_content"] = True
        msg = self.build_message(cs, self.bot, thread_id=p.get("message_thread_id"), reply=reply,
                                 quote=quote, fields=fields)
        self.store(cs, msg, by_bot=True, source=p.get("text"), parse_mode=p.get("parse_mode"),
                   markup_sent=p.get("reply_markup"))
        return msg

    def _editable(self, p) -> tuple[dict, dict]:
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        cs = self.chat_state(p.get("chat_id"))
        rec = cs["messages"].get(p.get("message_id"))
        if rec is None or rec["deleted"]:
            raise bad("message to edit not found")
        if not rec["by_bot"]:
            raise bad("message can't be edited")
        return cs, rec

    NOT_MODIFIED = ("message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message")

    def m_editmessagetext(self, p):
        cs, rec = self._editable(p)
        msg = rec["message"]
        if "text" not in msg:
            raise bad("there is no text in the message to edit")
        text, entities = self.format_text(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                          edit=True)
        markup = self.check_markup(p.get("reply_markup"))
        if (text, entities, markup) == (msg["text"], msg.get("entities", []),
                                        msg.get("reply_markup")):
            raise bad(self.NOT_MODIFIED)
        msg["text"] = text
        msg.pop("entities", None)
        if entities:
            msg["entities"] = entities
        self._set_markup(msg, markup)  # editing without reply_markup removes the keyboard
        msg["edit_date"] = now()
        self.add_version(rec, "editMessageText", p.get("text"), p.get("parse_mode"),
                         p.get("reply_markup"))
        return msg

    def m_editmessagereplymarkup(self, p):
        cs, rec = self._editable(p)
        msg = rec["message"]
        markup = self.check_markup(p.get("reply_markup"))
        if markup == msg.get("reply_markup"):
            raise bad(self.NOT_MODIFIED)
        self._set_markup(msg, markup)
        msg["edit_date"] = now()
        last = rec["history"][-1]
        self.add_version(rec, "editMessageReplyMarkup", last["html"], last["parse_mode"],
                         p.get("reply_markup"))
        return msg

    @staticmethod
    def _set_markup(msg: dict, markup) -> None:
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup

    def m_deletemessage(self, p):
        cs = self.chat_state(p.get("chat_id"))
        rec = cs["messages"].get(p.get("message_id"))
        if rec is None or rec["deleted"]:
            raise bad("message to delete not found")
        rec["deleted"] = True
        self.bump()
        return True

    def m_deletemessages(self, p):
        cs = self.chat_state(p.get("chat_id"))
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad("message identifiers are not specified")
        for mid in ids:
            rec = cs["messages"].get(mid)
            if rec is not None:
                rec["deleted"] = True
        self.bump()
        return True

    def m_answercallbackquery(self, p):
        entry = self.callbacks.get(str(p.get("callback_query_id", "")))
        if entry is None or entry["answer"] is not None:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        answer = {"callback_query_id": str(p["callback_query_id"]), "text": p.get("text"),
                  "show_alert": bool(p.get("show_alert", False)), "url": p.get("url"),
                  "cache_time": p.get("cache_time", 0), "data": entry["query"].get("data"),
                  "time": time.time()}
        if answer["text"] is not None and len(answer["text"]) > 200:
            raise bad("MESSAGE_TOO_LONG")
        entry["answer"] = answer
        self.answers.append(answer)
        self.bump()
        return True

    def m_sendchataction(self, p):
        cs = self.chat_state(p.get("chat_id"))
        if p.get("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        cs["actions"].append({"action": p["action"], "message_thread_id":
                              p.get("message_thread_id"), "time": time.time()})
        self.bump()
        return True

    def m_sendmessagedraft(self, p):
        cs = self.chat_state(p.get("chat_id"))
        if cs["chat"]["type"] != "private":
            raise bad("method is available only for private chats")
        if not p.get("draft_id"):
            raise bad("DRAFT_ID_INVALID")
        text, entities = self.format_text(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                          empty_ok=True)
        cs["drafts"].append({
            "draft_id": p["draft_id"], "chat_id": cs["chat"]["id"],
            "message_thread_id": p.get("message_thread_id"), "text": text, "entities": entities,
            "html": p.get("text") if (p.get("parse_mode") or "").lower() == "html" else None,
            "parse_mode": p.get("parse_mode"), "time": time.time()})
        self.bump()
        return True


    def m_setmessagereaction(self, p):
        """Bots set at most one reaction per message, from the ReactionTypeEmoji list (custom emoji only
        when already on the message, paid reactions never); an empty list removes the bot's reaction."""
        cs = self.chat_state(p.get("chat_id"))
        rec = cs["messages"].get(p.get("message_id"))
        if rec is None or rec["deleted"]:
            raise bad("message to react not found")
        reaction = p.get("reaction") or []
        if not isinstance(reaction, list):
            raise bad("can't parse reaction types JSON object")
        if len(reaction) > 1:
            raise bad("REACTIONS_TOO_MANY")
        for r in reaction:
            if not isinstance(r, dict) or r.get("type") not in ("emoji", "custom_emoji", "paid"):
                raise bad("REACTION_INVALID")
            if r["type"] == "emoji" and r.get("emoji") not in REACTION_EMOJI:
                raise bad("REACTION_INVALID")
            if r["type"] != "emoji":
                raise bad("REACTION_INVALID")
        rec["bot_reaction"] = reaction
        self.reactions.append({"chat_id": cs["chat"]["id"], "message_id": p["message_id"],
                               "reaction": reaction, "is_big": bool(p.get("is_big")),
                               "time": time.time()})
        self.bump()
        return True

    def m_answerinlinequery(self, p):
        """Checks what Telegram documents: a known, unanswered query id; at most 50 results, each with
        a unique 1-64 byte id, a known type, and for articles a title and a message of 1-4096
        characters after entity parsing."""
        entry = self.inline_queries.get(str(p.get("inline_query_id", "")))
        if entry is None or entry["answer"] is not None:
            raise bad("QUERY_ID_INVALID")
        results = p.get("results")
        if not isinstance(results, list):
            raise bad("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad("RESULTS_TOO_MUCH")
        seen, parsed = set(), []
        for r in results:
            if not isinstance(r, dict) or "id" not in r:
                raise bad('can\'t parse inline query result: Can\'t find field "id"')
            rid = str(r["id"])
            if not 1 <= len(rid.encode()) <= 64:
                raise bad("RESULT_ID_INVALID")
            if rid in seen:
                raise bad("RESULT_ID_DUPLICATE")
            seen.add(rid)
            if r.get("type") not in INLINE_RESULT_TYPES:
                raise bad("RESULT_TYPE_INVALID")
            if r["type"] == "article" and not str(r.get("title") or "").strip():
                raise bad("RESULT_TITLE_EMPTY")
            content = r.get("input_message_content")
            out = dict(r)
            if r["type"] == "article" and not isinstance(content, dict):
                raise bad('can\'t parse inline query result: Can\'t find field "input_message_content"')
            if isinstance(content, dict) and "message_text" in content:
                try:
                    text, ents = self.format_text(content["message_text"], content.get("parse_mode"),
                                                  content.get("entities"))
                except ApiError as exc:
                    if "empty" in exc.description:
                        raise bad("MESSAGE_EMPTY") from None
                    if "too long" in exc.description:
                        raise bad("MESSAGE_TOO_LONG") from None
                    raise
                out["_parsed"] = {"text": text, "entities": ents}
            if "reply_markup" in r:
                self.check_markup(r["reply_markup"])
            parsed.append(out)
        if len(str(p.get("next_offset", "")).encode()) > 64:
            raise bad("NEXT_OFFSET_INVALID")
        entry["answer"] = {"inline_query_id": str(p["inline_query_id"]), "results": parsed,
                           "cache_time": p.get("cache_time", 300),
                           "is_personal": bool(p.get("is_personal", False)),
                           "next_offset": p.get("next_offset", ""), "button": p.get("button"),
                           "query": entry["query"]["query"], "time": time.time()}
        self.bump()
        return True

    def m_getchatmember(self, p):
        cs = self.chat_state(p.get("chat_id"), for_send=False)
        user = self.users.get(p.get("user_id"))
        if user is None:
            raise bad("user not found")
        return self._member(cs, user)

    def m_getchatadministrators(self, p):
        cs = self.chat_state(p.get("chat_id"), for_send=False)
        if cs["chat"]["type"] == "private":
            raise bad("there are no administrators in the private chat")
        return [self._member(cs, self.users[uid]) for (cid, uid), status in self.members.items()
                if cid == cs["chat"]["id"] and status in ("creator", "administrator")]

    def _member(self, cs: dict, user: dict) -> dict:
        chat_id = cs["chat"]["id"]
        if cs["chat"]["type"] == "private":
            status = "member" if user["id"] in (chat_id, self.bot["id"]) else "left"
        else:
            status = self.members.get((chat_id, user["id"]), "member" if any(
                r["message"].get("from", {}).get("id") == user["id"] for r in cs["messages"].values())
                or user["id"] == self.bot["id"] else "left")
        member = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({k: True for k in (
                "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories", "can_pin_messages")},
                can_be_edited=False, is_anonymous=False, can_promote_members=False)
        return member

    # ------------------------------------------------------------ test side
    def t_reset(self, p):
        for key in ("privacy_mode", "strict_amp", "inline_mode"):
            if key in p:
                setattr(self, key, bool(p[key]))
        self.reset()
        return True


    def t_member_status(self, p):
        """{chat_id, user, status}: e.g. make someone an administrator of a group."""
        cs = self.chat_state(p["chat_id"], for_send=False)
        if p["status"] not in MEMBER_STATUSES:
            raise bad(f"unknown member status {p['status']!r}")
        user = p["user"]
        self.users[user["id"]] = user
        self.members[(cs["chat"]["id"], user["id"])] = p["status"]
        return True

    def t_react(self, p):
        """A user changes their reactions to a message: {chat_id, message_id, from, emoji: [..]}
        -> the message_reaction update (delivered only if the bot asked for it in allowed_updates)."""
        cs = self.chat_state(p["chat_id"], for_send=False)
        rec = cs["messages"].get(p["message_id"])
        if rec is None or rec["deleted"]:
            raise bad("no such message")
        user = self._sender(p)
        new = [{"type": "emoji", "emoji": e} for e in p.get("emoji") or []]
        for r in new:
            if r["emoji"] not in REACTION_EMOJI:
                raise bad("REACTION_INVALID")
        old = rec.setdefault("user_reactions", {}).get(user["id"], [])
        rec["user_reactions"][user["id"]] = new
        return self.push_update("message_reaction", {
            "chat": cs["chat"], "message_id": p["message_id"], "user": user, "date": now(),
            "old_reaction": old, "new_reaction": new})

    def t_inline_query(self, p):
        """A user types "@bot <query>": {from, query, chat_type?, offset?} -> the InlineQuery.
        Refused unless inline mode is on (BotFather /setinline; here reset(inline_mode=True))."""
        if not self.inline_mode:
            raise bad("inline mode is off for this bot (BotFather /setinline; "
                      "TelegramEmulator.reset(inline_mode=True))")
        query = str(p.get("query", ""))
        if len(query) > MAX_INLINE_QUERY:
            raise bad(f"an inline query holds at most {MAX_INLINE_QUERY} characters")
        inline = {"id": str(next(self.inline_ids)), "from": self._sender(p), "query": query,
                  "offset": str(p.get("offset", ""))}
        if p.get("chat_type"):
            inline["chat_type"] = p["chat_type"]
        self.inline_queries[inline["id"]] = {"query": inline, "answer": None}
        self.push_update("inline_query", inline)
        return inline

    def t_inline_answers(self, p):
        return [e["answer"] for e in self.inline_queries.values() if e["answer"] is not None]

    def t_choose_inline_result(self, p):
        """The user picks a result: it is sent to {chat} as the user's message "via @bot"."""
        entry = self.inline_queries.get(str(p["inline_query_id"]))
        if entry is None or entry["answer"] is None:
            raise bad("that inline query has no answer")
        result = next((r for r in entry["answer"]["results"] if r["id"] == p["result_id"]), None)
        if result is None or "_parsed" not in result:
            raise bad(f"no text result with id {p['result_id']!r}")
        cs = self.register_chat(p["chat"])
        fields = {"text": result["_parsed"]["text"], "via_bot": self.bot}
        if result["_parsed"]["entities"]:
            fields["entities"] = result["_parsed"]["entities"]
        if result.get("reply_markup"):
            fields["reply_markup"] = self.check_markup(result["reply_markup"])
        msg = self.build_message(cs, self._sender({"from": entry["query"]["from"]}), fields=fields)
        self.store(cs, msg, by_bot=False)
        if cs["status"] == "member" and self.should_deliver(cs, msg):
            self.push_update("message", msg)
        return msg

    def t_reactions(self, p):
        return [r for r in self.reactions if p.get("chat_id") is None or r["chat_id"] == p["chat_id"]]

    def _sender(self, p) -> dict:
        user = p["from"]
        self.users[user["id"]] = user
        return user

    def t_message(self, p):
        """A user message: {chat, from, text?, entities?, reply_to_message_id?,
        message_thread_id?, fields?} -> {"message", "delivered"}."""
        cs = self.register_chat(p["chat"])
        if cs["migrated_to"] is not None:
            raise bad("group chat was upgraded to a supergroup chat")
        sender = self._sender(p)
        fields = dict(p.get("fields") or {})
        if fields.get("sender_chat") is not None:
            if cs["chat"]["type"] not in ("group", "supergroup"):
                raise bad("sender_chat is only set in groups and supergroups")
            anonymous = fields["sender_chat"]["id"] == cs["chat"]["id"]
            expected = ANONYMOUS_ADMIN if anonymous else CHANNEL_BOT
            if sender["id"] != expected["id"]:
                raise bad(f"a message with sender_chat comes from @{expected['username']}")
        for key in ("text", "caption"):
            if p.get(key) is not None:
                ents_key = "entities" if key == "text" else "caption_entities"
                given = tg_text.clip_entities(p[key], p.get(ents_key) or [])
                text, ents = tg_text.trim(p[key], given)
                fields[key] = text
                ents = tg_text.auto_entities(text, ents)
                if ents:
                    fields[ents_key] = ents
        reply = None
        if p.get("reply_to_message_id") is not None:
            reply = cs["messages"].get(p["reply_to_message_id"])
            if reply is None:
                raise bad("message to be replied not found")
        thread_id = p.get("message_thread_id")
        if thread_id is not None and cs["chat"].get("is_forum") and thread_id not in cs["topics"]:
            self._create_topic(cs, sender, f"Topic {thread_id}", thread_id)
        msg = self.build_message(cs, sender, thread_id=thread_id, reply=reply, fields=fields)
        self.store(cs, msg, by_bot=False)
        delivered = cs["status"] == "member" and self.should_deliver(cs, msg)
        if delivered:
            self.push_update("message", msg)
        return {"message": msg, "delivered": delivered}

    def _create_topic(self, cs, sender, name, thread_id=None) -> dict:
        if thread_id is not None:
            if thread_id in cs["messages"]:
                raise bad(f"message id {thread_id} is taken; cannot create a topic with that id")
            cs["next_id"] = max(cs["next_id"], thread_id)
        msg = {"message_id": self.next_message_id(cs), "from": sender, "chat": dict(cs["chat"]),
               "date": now(), "is_topic_message": True,
               "forum_topic_created": {"name": name, "icon_color": 7322096}}
        msg["message_thread_id"] = msg["message_id"]
        cs["topics"][msg["message_id"]] = name
        self.store(cs, msg, by_bot=False)
        self.push_update("message", msg)  # service messages are always delivered
        return msg

    def t_topic(self, p):
        cs = self.register_chat(p["chat"])
        if not cs["chat"].get("is_forum"):
            raise bad("the chat is not a forum")
        return self._create_topic(cs, self._sender(p), p.get("name", "Topic"))

    def t_edit(self, p):
        """A user edits their message: {chat_id, message_id, text?, caption?, entities?}."""
        cs = self.chat_state(p["chat_id"], for_send=False)
        rec = cs["messages"].get(p["message_id"])
        if rec is None or rec["by_bot"]:
            raise bad("no such user message")
        msg = rec["message"]
        key = "text" if "text" in msg else "caption"
        ents_key = "entities" if key == "text" else "caption_entities"
        text, ents = tg_text.trim(p["text"], tg_text.clip_entities(p["text"],
                                                                   p.get("entities") or []))
        msg[key] = text
        msg.pop(ents_key, None)
        ents = tg_text.auto_entities(text, ents)
        if ents:
            msg[ents_key] = ents
        msg["edit_date"] = now()
        if self.should_deliver(cs, msg):
            self.push_update("edited_message", dict(msg))
        return msg

    def t_callback(self, p):
        """A user presses an inline button: {chat_id, message_id, from, data}."""
        cs = self.chat_state(p["chat_id"], for_send=False)
        rec = cs["messages"].get(p["message_id"])
        if rec is None or rec["deleted"]:
            raise bad("no such message")
        buttons = [b for row in rec["message"].get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row]
        if p["data"] not in [b.get("callback_data") for b in buttons]:
            raise bad(f"message {p['message_id']} has no button with callback_data "
                      f"{p['data']!r}; buttons: {buttons}")
        query = {"id": str(next(self.callback_ids)), "from": self._sender(p),
                 "message": rec["message"],
                 "chat_instance": str((cs["chat"]["id"] * 2654435761) % (1 << 62)),
                 "data": p["data"]}
        self.callbacks[query["id"]] = {"query": query, "answer": None}
        self.push_update("callback_query", query)
        return query

    def t_update(self, p):
        """Inject any update: {"update": {"my_chat_member": {...}}} (update_id is assigned)."""
        ((kind, payload),) = p["update"].items()
        chat = payload.get("chat") or payload.get("message", {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            self.register_chat(chat)
        return self.push_update(kind, payload)

    def t_chat_status(self, p):
        """{chat_id, status: member|kicked|blocked, from?}: also sends my_chat_member."""
        cs = self.chat_state(p["chat_id"], for_send=False)
        old, cs["status"] = cs["status"], p["status"]

        def member(status):
            if status == "member":
                return {"status": "member", "user": self.bot}
            return {"status": "kicked", "user": self.bot, "until_date": 0}

        if old != cs["status"]:
            self.push_update("my_chat_member", {
                "chat": cs["chat"], "from": self._sender(p), "date": now(),
                "old_chat_member": member(old), "new_chat_member": member(cs["status"])})
        return True

    def t_migrate(self, p):
        """Upgrade a basic group to a supergroup: {chat_id, from} -> the new chat."""
        cs = self.chat_state(p["chat_id"], for_send=False)
        if cs["chat"]["type"] != "group":
            raise bad("only basic groups can be migrated")
        new_id = -1000000000000 - abs(cs["chat"]["id"])
        new_chat = {"id": new_id, "type": "supergroup", "title": cs["chat"].get("title", "")}
        new_cs = self.register_chat(new_chat)
        sender = self._sender(p)
        old_msg = self.build_message(cs, sender, fields={"migrate_to_chat_id": new_id})
        self.store(cs, old_msg, by_bot=False)
        self.push_update("message", old_msg)
        cs["migrated_to"] = new_id
        new_msg = self.build_message(new_cs, {"id": 1087968824, "is_bot": True,
                                              "first_name": "Group",
                                              "username": "GroupAnonymousBot"},
                                     fields={"sender_chat": new_chat,
                                             "migrate_from_chat_id": cs["chat"]["id"]})
        self.store(new_cs, new_msg, by_bot=False)
        self.push_update("message", new_msg)
        return new_chat

    def t_fail(self, p):
        status = int(p.get("status", 429))
        params = p.get("parameters")
        if status == 429 and params is None:
            params = {"retry_after": int(p.get("retry_after", 1))}
        desc = p.get("description") or {
            429: f"Too Many Requests: retry after {(params or {}).get('retry_after', 1)}",
            400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
        }.get(status, http.client.responses.get(status, "Error"))
        self.faults.append({"method": p["method"].lower(), "status": status,
                            "description": desc, "parameters": params,
                            "times": int(p.get("times", 1)), "chat_id": p.get("chat_id")})
        return True

    def _summary(self, rec: dict) -> dict:
        m = rec["message"]
        last = rec["history"][-1]
        return {"message_id": m["message_id"], "chat_id": m["chat"]["id"],
                "message_thread_id": m.get("message_thread_id"), "text": m.get("text"),
                "entities": m.get("entities", []), "html": last["html"],
                "parse_mode": last["parse_mode"], "reply_markup": m.get("reply_markup"),
                "reply_markup_sent": last["reply_markup"],
                "reply_to_message_id": m.get("reply_to_message", {}).get("message_id"),
                "date": m["date"], "edit_date": m.get("edit_date"), "deleted": rec["deleted"],
                "history": rec["history"], "message": m}

    def t_bot_messages(self, p):
        cs = self.chats.get(p["chat_id"])
        if cs is None:
            return []
        out = []
        for rec in cs["messages"].values():
            if not rec["by_bot"] or rec["deleted"] and not p.get("include_deleted"):
                continue
            if p.get("thread_id") is not None and \
                    rec["message"].get("message_thread_id") != p["thread_id"]:
                continue
            if rec["message"]["message_id"] <= p.get("after", 0):
                continue
            out.append(self._summary(rec))
        return out

    def t_messages(self, p):
        cs = self.chats.get(p["chat_id"])
        return [dict(r["message"], _deleted=r["deleted"], _by_bot=r["by_bot"])
                for r in cs["messages"].values()] if cs else []

    def t_drafts(self, p):
        cs = self.chats.get(p["chat_id"])
        return cs["drafts"] if cs else []

    def t_chat_actions(self, p):
        cs = self.chats.get(p["chat_id"])
        return cs["actions"] if cs else []

    def t_callback_answers(self, p):
        return self.answers

    def t_calls(self, p):
        method = (p.get("method") or "").lower()
        return [c for c in self.calls if not method or c["method"].lower() == method]

    def t_pending_updates(self, p):
        return self.updates

    async def t_wait_bot_messages(self, p):
        """Like bot_messages, but first wait (up to p["timeout"]) until the bot changed
        something after p["version"] and at least p["count"] messages are there."""
        deadline = time.monotonic() + float(p.get("timeout", 10))
        while True:
            messages = self.t_bot_messages(p)
            ready = self.version > int(p.get("version", -1)) and len(messages) >= p.get("count", 1)
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                return {"version": self.version, "messages": messages}
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def t_wait(self, p):
        """Long-poll until the bot changed something after version p["version"]."""
        deadline = time.monotonic() + float(p.get("timeout", 10))
        while self.version <= int(p.get("version", -1)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                break
        return {"version": self.version}


# ------------------------------------------------------------------- HTTP
class BotApiHandler(tornado.web.RequestHandler):
    def initialize(self, emu: Emulator):
        self.emu = emu
        self.waiter: asyncio.Future | None = None

    def _params(self) -> dict:
        params = {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.startswith("application/json") and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                raise bad("can't parse JSON encoded request") from None
            params.update(body)
        else:
            params.update({k: v[-1].decode() for k, v in self.request.body_arguments.items()})
        return coerce(params)

    async def get(self, token, method):
        try:
            result = await self.emu.call(method, self._params(), self)
            body = {"ok": True, "result": result}
        except ApiError as exc:
            reason = http.client.responses.get(exc.code, "Error")
            self.set_status(exc.code, reason)
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))  # no-op if the client has gone

    post = get

    def on_connection_close(self):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result("closed")


class TestApiHandler(tornado.web.RequestHandler):
    def initialize(self, emu: Emulator):
        self.emu = emu

    async def post(self, op):
        fn = getattr(self.emu, "t_" + op, None)
        self.set_header("Content-Type", "application/json")
        if fn is None:
            self.set_status(404)
            return self.finish(json.dumps({"ok": False, "description": f"no test op {op!r}"}))
        try:
            result = fn(json.loads(self.request.body or b"{}"))
            if asyncio.iscoroutine(result):
                result = await result
            self.finish(json.dumps({"ok": True, "result": result}, ensure_ascii=False))
        except (ApiError, KeyError, TypeError, ValueError) as exc:
            self.set_status(400)
            description = exc.description if isinstance(exc, ApiError) else repr(exc)
            self.finish(json.dumps({"ok": False, "description": description},
                                   ensure_ascii=False))


class NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self):
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bot-id", type=int, default=123456)
    ap.add_argument("--bot-username", default="ArticleQABot")
    ap.add_argument("--bot-name", default="Article QA Bot")
    ap.add_argument("--privacy-mode", action="store_true")
    ap.add_argument("--strict-amp", action="store_true")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="stop when stdin closes (used by tests/tgemu.py)")
    args = ap.parse_args()

    emu = Emulator(args.bot_id, args.bot_username, args.bot_name, args.privacy_mode,
                   args.strict_amp)
    app = tornado.web.Application([
        (r"/bot([^/]+)/([A-Za-z0-9_]+)", BotApiHandler, {"emu": emu}),
        (r"/_test/([a-z_]+)", TestApiHandler, {"emu": emu}),
    ], default_handler_class=NotFoundHandler, log_function=lambda handler: None)
    sockets = tornado.netutil.bind_sockets(args.port, args.host)
    server = tornado.httpserver.HTTPServer(app, idle_connection_timeout=3600)
    server.add_sockets(sockets)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        def on_stdin():
            if not os.read(sys.stdin.fileno(), 4096):
                loop.remove_reader(sys.stdin.fileno())
                stop.set()
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    print(json.dumps({"port": sockets[0].getsockname()[1]}), flush=True)
    await stop.wait()
    os._exit(0)  # at once: open long polls are not waited for, the OS closes their sockets


if __name__ == "__main__":
    asyncio.run(main())
