"""`python -m bot run` as a process: no token, restart with memory intact, SIGTERM while answering.
Every line the processes log is kept and searched for the bot token and the API key."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import reliability

pytestmark = pytest.mark.slow      # real `python -m bot run` processes, killed and restarted


ROOT = Path(__file__).resolve().parent.parent
BYTEDANCE = "字节跳动在中国有多少GPU？"
API_KEY = "sk-test-secret-key-123"


class BotProcess:
    started: list["BotProcess"] = []

    def __init__(self, env: dict, log_path: Path):
        BotProcess.started.append(self)
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=env["WORKDIR"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_polling(self, emu, timeout: float = 60.0) -> None:
        """Until this process polls (a getUpdates call after the ones an earlier, now dead, process made)."""
        deadline = time.monotonic() + timeout
        earlier = len(emu.calls("getUpdates"))
        while len(emu.calls("getUpdates")) <= earlier:
            assert self.proc.poll() is None, self.log_path.read_text()
            assert time.monotonic() < deadline, "the bot never started polling"
            time.sleep(0.1)     # polling the call log: a getUpdates call is no change the emulator signals

    def stop(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()


@pytest.fixture(autouse=True)
def no_bot_left_running():
    yield
    while BotProcess.started:
        bot = BotProcess.started.pop()
        if bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait(10)
        bot.log.close()


@pytest.fixture
def bot_env(emu, session_dir, corpus_dir, engine, tmp_path):
    """The environment of a bot process; the session's index is already built, so start-up only loads it."""
    emu.reset()
    return dict(os.environ, PYTHONPATH=str(ROOT), WORKDIR=str(tmp_path), HF_HUB_OFFLINE="1",
                TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_API_BASE_URL=emu.api_root,
                CORPUS_DIR=str(corpus_dir), INDEX_DIR=str(engine.settings.index.index_dir),
                DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"), ADMIN_USER_IDS="42",
                USER_COOLDOWN_SECONDS="0")


def assert_no_secrets(log: Path, *secrets: str) -> None:
    text = log.read_text(encoding="utf-8", errors="replace")
    assert text.strip(), "the bot logged nothing at all: the check below would prove nothing"
    for secret in secrets:
        assert secret not in text
        assert secret.split(":")[-1] not in text


def test_no_token_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(env, PYTHONPATH=str(ROOT)), timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "@BotFather" in done.stderr and "TELEGRAM_BOT_TOKEN" in done.stderr


def test_restart_keeps_history_and_reply_chain_memory(emu, bot_env, tmp_path):
    log = tmp_path / "bot.log"
    alice = emu.user()
    chat = emu.private_chat(alice)
    bot = BotProcess(bot_env, log)
    bot.wait_polling(emu)
    emu.send(chat, alice, BYTEDANCE)
    [answer] = emu.wait_bot_messages(chat, timeout=30)
    assert "50万" in answer["text"]
    assert bot.stop() == 0

    restarted = BotProcess(bot_env, log)
    restarted.wait_polling(emu)
    follow_up = emu.send(chat, alice, "那华为呢？", reply_to=answer)
    [reply] = emu.wait_bot_messages(chat, after=answer, timeout=30)
    assert reply["reply_markup"]          # answered; the reply chain's memory is checked in the database below
    admin = emu.user(id=42)
    emu.send(emu.private_chat(admin), admin, "/stats")
    [stats] = emu.wait_bot_messages(emu.private_chat(admin), timeout=30)
    assert "问题：2" in stats["text"]
    assert restarted.stop() == 0

    import sqlite3

    with sqlite3.connect(bot_env["DATABASE_PATH"]) as db:
        linked = db.execute("SELECT q2.text FROM questions q JOIN answers a ON a.id = q.previous_answer_id"
                            " JOIN questions q2 ON q2.id = a.question_id WHERE q.message_id = ?",
                            (follow_up["message_id"],)).fetchone()
        assert linked == (BYTEDANCE,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert_no_secrets(log, emu.token)
    reliability.record("Secrets: bot token never logged", injected="all output of two bot runs searched", cases=2)


def test_sigterm_lets_the_answer_in_flight_finish(emu, bot_env, scripted_llm, tmp_path):
    log = tmp_path / "bot.log"
    env = dict(bot_env, LLM_MODEL="scripted-model", OPENAI_BASE_URL=scripted_llm.base_url, OPENAI_API_KEY=API_KEY,
               LLM_DEADLINE="20")
    bot = BotProcess(env, log)
    bot.wait_polling(emu)
    alice = emu.user()
    chat = emu.private_chat(alice)
    # the first sentence at once (a draft shows it), then the model pauses for 2 s: SIGTERM comes in the pause
    first = "字节跳动在中国境内拥有超过50万个GPU[1]。"
    scripted_llm.fail("stall_mid_stream", seconds=2.0, after_chunks=len(first) // 2 + 1, chunk_size=2,
                      text=first + "它是Oracle最大的GPU客户[1]。")
    emu.send(chat, alice, BYTEDANCE)
    emu.wait_until(lambda: emu.drafts(chat), timeout=30)      # the answer is being written
    stopping = time.monotonic()
    assert bot.stop(timeout=30) == 0
    [answer] = emu.bot_messages(chat)
    assert "50万" in answer["text"] and "Oracle" in answer["text"] and answer["reply_markup"]   # written to the end
    assert time.monotonic() - stopping < 20     # within the LLM deadline
    assert_no_secrets(log, emu.token, API_KEY)
    reliability.record("Process: SIGTERM while answering", injected="SIGTERM to `python -m bot run` mid-stream",
                       cases=1)
    reliability.record("Secrets: bot token and LLM API key never logged",
                       injected="all output of a bot run with an LLM searched", cases=1)


def test_webhook_mode_answers_updates_posted_with_the_secret_and_passes_the_healthcheck(emu, bot_env, tmp_path):
    import json
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(bot_env, WEBHOOK_URL="https://bot.example.org/hook-path", WEBHOOK_SECRET="hook-secret-456",
               WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port))
    health = [sys.executable, "-m", "bot", "health"]
    assert subprocess.run(health, env=env, cwd=tmp_path, capture_output=True).returncode == 1   # not up yet
    bot = BotProcess(env, tmp_path / "bot.log")
    deadline = time.monotonic() + 60
    while not emu.calls("setWebhook"):
        assert bot.proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)     # polling the call log and the process: no change the emulator signals
    [registered] = emu.calls("setWebhook")
    assert registered["params"]["url"] == "https://bot.example.org/hook-path"
    while subprocess.run(health, env=env, cwd=tmp_path, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)     # polling the healthcheck itself: the webhook server starts after setWebhook

    alice = emu.user()
    chat = emu.private_chat(alice)
    message = emu.send(chat, alice, BYTEDANCE)          # the emulator knows the chat; we deliver the update
    update = json.dumps({"update_id": 1, "message": message}).encode()

    def post(secret: str) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/hook-path", data=update, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Telegram-Bot-Api-Secret-Token": secret})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post("wrong-secret") == 403
    assert post("hook-secret-456") == 200
    [answer] = emu.wait_bot_messages(chat, timeout=30)
    assert "50万" in answer["text"]
    assert bot.stop() == 0
    assert_no_secrets(tmp_path / "bot.log", emu.token, "hook-secret-456")
    reliability.record("Secrets: bot token and webhook secret never logged",
                       injected="all output of a webhook-mode run, including a refused POST, searched", cases=1)


def test_kill_9_while_answering_loses_nothing_and_the_question_is_answered_after_restart(emu, bot_env, scripted_llm,
                                                                                         tmp_path):
    import sqlite3

    env = dict(bot_env, LLM_MODEL="scripted-model", OPENAI_BASE_URL=scripted_llm.base_url, OPENAI_API_KEY=API_KEY)
    alice = emu.user()
    chat = emu.private_chat(alice)
    bot = BotProcess(env, tmp_path / "bot.log")
    bot.wait_polling(emu)
    emu.send(chat, alice, "新加坡为什么禁止建设新的数据中心？")      # an answered question before the crash
    emu.wait_bot_messages(chat, timeout=30)
    # drafts show checked sentences only: the model writes the first one and a word more, then pauses for 10 s
    first = "字节跳动在中国境内拥有超过50万个GPU[1]。"
    scripted_llm.fail("stall_mid_stream", seconds=10, after_chunks=len(first) // 3 + 1, chunk_size=3,
                      text=first + "它是Oracle最大的GPU客户[1]。" * 3)
    emu.send(chat, alice, BYTEDANCE)
    emu.wait_until(lambda: emu.drafts(chat), timeout=30)
    bot.proc.kill()                                     # SIGKILL mid-answer
    bot.proc.wait(10)
    bot.log.close()

    scripted_llm.reply("字节跳动在中国境内拥有超过50万个GPU[1]。")
    restarted = BotProcess(env, tmp_path / "bot.log")
    restarted.wait_polling(emu)
    emu.wait_bot_messages(chat, count=2, timeout=30)
    assert restarted.stop() == 0                        # the process is gone: nothing more can arrive
    answers = emu.bot_messages(chat)
    assert len(answers) == 2 and "50万" in answers[1]["text"] and answers[1]["reply_markup"]
    with sqlite3.connect(env["DATABASE_PATH"]) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT text FROM questions ORDER BY id").fetchall() == [("新加坡为什么禁止建设新的数据中心？",),
                                                                              (BYTEDANCE,)]
        assert db.execute("SELECT COUNT(*) FROM answers WHERE latency_ms IS NOT NULL").fetchone() == (2,)
    reliability.record("Process: kill -9 while answering", injected="SIGKILL to `python -m bot run` mid-stream, "
                       "then restart", cases=1)


def test_kill_9_mid_stream_in_a_group_completes_the_half_written_answer_after_restart(emu, bot_env, scripted_llm,
                                                                                      tmp_path):
    """The group saw a preview ("…50万个GPU[1]。它") when the process died: the restarted bot finishes that message
    instead of leaving it beside a second, complete answer."""
    import sqlite3

    env = dict(bot_env, LLM_MODEL="scripted-model", OPENAI_BASE_URL=scripted_llm.base_url, OPENAI_API_KEY=API_KEY)
    written = "字节跳动在中国境内拥有超过50万个GPU[1]。它是Oracle最大的GPU客户[1]。" + "它也是Google的第二大客户[1]。" * 3
    bob = emu.user()
    group = emu.supergroup()
    bot = BotProcess(env, tmp_path / "bot.log")
    bot.wait_polling(emu)
    # the model writes two sentences and a word more, then pauses for 10 s (the process is killed before it goes on)
    scripted_llm.fail("stall_mid_stream", seconds=10, after_chunks=written.index("它也是") // 3 + 1, chunk_size=3,
                      text=written)
    asked = emu.send(group, bob, f"/ask {BYTEDANCE}")
    [preview] = emu.wait_bot_messages(group, timeout=60)             # the first checked sentence is shown
    assert "来源" not in preview["text"]
    deadline = time.monotonic() + 30
    while True:                                                      # and the bot has noted which message shows it
        with sqlite3.connect(env["DATABASE_PATH"]) as db:
            if db.execute("SELECT COUNT(*) FROM shown WHERE answer_id IS NULL").fetchone()[0]:
                break
        assert time.monotonic() < deadline
        time.sleep(0.05)    # polling the database: the row it waits for is no emulator event
    bot.proc.kill()                                                  # SIGKILL mid-answer
    bot.proc.wait(10)
    bot.log.close()

    scripted_llm.reply(written)
    restarted = BotProcess(env, tmp_path / "bot.log")
    restarted.wait_polling(emu)
    emu.wait_bot_messages(group, text_contains="来源", timeout=60)
    assert restarted.stop() == 0                                     # the process is gone: nothing more can arrive
    [answer] = emu.bot_messages(group)
    assert answer["message_id"] == preview["message_id"]             # completed, not duplicated
    assert "Oracle" in answer["text"] and answer["reply_markup"]
    assert answer["reply_to_message_id"] == asked["message_id"]
    reliability.record("Process: kill -9 mid-stream in a group", injected="SIGKILL while a group preview is being "
                       "edited, then restart: the preview is completed in place", cases=1)
