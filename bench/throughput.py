"""Bot throughput: `python -m bot run` long-polling the Telegram emulator (tests/emulator/server.py) on loopback,
with simulated users asking the dev questions in private chats, offline answers.

- Users are closed loops: send a question, wait for the bot's answer, send the next. Latency is from just
  before the send to the moment the answer is seen (client clock), and to the emulator's record of the bot's
  sendMessage (bot side).
- Soak first: 64 users until 1,000 and then 5,000 questions are answered; the bot's RSS is read the moment
  each count is reached (and every 250 answers, for the plot).
- Then a sweep of 1 … 64 concurrent users (new users in new chats), each level bounded by a question count
  and a time limit.
- Every question must get exactly one answer. Private-chat answers are not replies (reply_to_message_id is
  only set in groups), so answers are matched by order in each chat: the bot messages between a question and
  the chat's next question belong to it. Lost (none) and duplicated (more than one) answers are counted.
- The bot's per-user cooldown, per-chat question limit and its Telegram flood control (30 messages/s, as
  Telegram allows) are off: the benchmark measures what the bot can carry, not what Telegram lets it send.
- CPU seconds of the bot (and of its event-loop thread), the emulator and this load generator per level: all
  share the 2 cores. The bot runs under bench/sampler.py, which samples its event-loop thread's stack.
- The engine alone, without Telegram: ms per question by batch size, and its memory over batches of random
  size (engine_alone).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import PY, ROOT, load_questions, rss_mb, say, seed_index, summary, write

TARGET_ANSWERS_PER_S = 100.0
RSS_TARGET_MB = 700.0
USERS = 64




class TestApi:
    """The emulator's test API (POST /_test/<op>, JSON; the calls tests/tgemu.py wraps) over plain keep-alive
    HTTP/1.1 connections. httpx cost this load generator ~4 ms of CPU a request, CPU taken from the bot on
    these 2 cores; this costs a fraction of that."""

    def __init__(self, api_root: str):
        host, port = api_root.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def call(self, op: str, **payload):
        connection = self.idle.pop() if self.idle else await asyncio.open_connection(*self.address)
        reader, writer = connection
        body = json.dumps(payload).encode()
        writer.write(b"POST /_test/%s HTTP/1.1\r\nHost: emulator\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (op.encode(), len(body), body))
        await reader.readline()                                   # status line: the body says ok or not
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        answer = json.loads(await reader.readexactly(length))
        self.idle.append(connection)
        if not answer.get("ok"):
            raise RuntimeError(f"emulator {op}: {answer.get('description')}")
        return answer["result"]

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


class Users:
    """Simulated users in private chats: each asks, waits for the answer, asks again."""

    def __init__(self, emu, questions: list[str], bot_pid: int, rss_every: int):
        self.api = TestApi(emu.api_root)
        self.call = self.api.call
        self.questions = questions
        self.bot_pid, self.rss_every = bot_pid, rss_every
        self.asked: dict[int, list[int]] = {}      # chat id -> message ids of its questions, in order
        self.answered = 0
        self.rss: dict[int, float] = {}            # answered count -> bot RSS, MB

    async def ask(self, user: dict, chat: dict, text: str, timeout: float = 60.0) -> dict:
        t_send = time.time()
        message = (await self.call("message", chat=chat, text=text, fields={}, **{"from": user}))["message"]
        self.asked.setdefault(chat["id"], []).append(message["message_id"])
        state = {"messages": []}
        deadline = time.monotonic() + timeout
        while not state["messages"] and time.monotonic() < deadline:
            state = await self.call("wait_bot_messages", chat_id=chat["id"], after=message["message_id"], count=1,
                                    version=-1, timeout=min(10.0, deadline - time.monotonic()))
        if not state["messages"]:
            return {"timeout": True}
        self.answered += 1
        if self.answered % self.rss_every == 0:
            self.rss[self.answered] = rss_mb(self.bot_pid)
        sent = state["messages"][0]["history"][0]["date"]      # emulator clock = this host's clock
        return {"ms": (time.time() - t_send) * 1000, "bot_side_ms": (sent - t_send) * 1000}

    async def phase(self, users: list[tuple[dict, dict]], max_questions: int, max_seconds: float) -> dict:
        records, budget = [], [max_questions]
        stop_at = time.monotonic() + max_seconds

        async def loop(n: int, user: dict, chat: dict):
            i = n * 7
            while budget[0] > 0 and time.monotonic() < stop_at:
                budget[0] -= 1
                records.append(await self.ask(user, chat, self.questions[i % len(self.questions)]))
                i += 1

        t = time.perf_counter()
        await asyncio.gather(*(loop(n, u, c) for n, (u, c) in enumerate(users)))
        seconds = time.perf_counter() - t
        done = [r for r in records if "ms" in r]
        return {"users": len(users), "questions": len(records), "answered": len(done),
                "timeouts": len(records) - len(done), "seconds": seconds, "answers_per_s": len(done) / seconds,
                "latency_ms": summary(r["ms"] for r in done),
                "bot_side_latency_ms": summary(r["bot_side_ms"] for r in done)}

    async def audit(self) -> dict:
        """Exactly one answer per question: bot messages between a question and the chat's next question."""
        lost = duplicated = messages = replies_to = 0
        for chat_id, asked in self.asked.items():
            answers = await self.call("bot_messages", chat_id=chat_id, after=0, include_deleted=True)
            messages += len(answers)
            replies_to += sum(1 for m in answers if m["reply_to_message_id"] is not None)
            ids = sorted(m["message_id"] for m in answers)
            bounds = asked[1:] + [float("inf")]
            for question, next_question in zip(asked, bounds):
                n = sum(1 for i in ids if question < i < next_question)
                lost += n == 0
                duplicated += max(0, n - 1)
        return {"questions": sum(map(len, self.asked.values())), "bot_messages": messages, "lost": lost,
                "duplicated": duplicated, "answers_sent_as_replies": replies_to,
                "matched_by": "order in each chat (private-chat answers are not replies)"}


def engine(index_dir: Path):
    from bot.engine import Engine
    from bot.settings import Settings
    from index.settings import IndexSettings

    return Engine(Settings(index=IndexSettings(corpus_dir=ROOT / "corpus", index_dir=index_dir)), progress=False)


def engine_alone(index_dir: Path) -> dict:
    """The answering engine without Telegram: Engine.answer_many (what the bot's micro-batcher calls) on batches
    of B dev questions, wall ms per question (1000 ÷ that is the most answers/s the engine could give the bot
    with both cores to itself); and its memory over batches of random size, in fresh processes, as shipped and
    with glibc told to return freed memory (MALLOC_TRIM_THRESHOLD_=0)."""
    answering = engine(index_dir)
    questions = [q["question"] for q in load_questions()]
    answering.answer_many([(q, None) for q in questions[:8]])         # warm-up
    speed = {}
    for batch in (1, 4, 16, 32):
        per_question = []
        for start in range(0, len(questions) * 3, batch):
            chunk = [(questions[(start + i) % len(questions)], None) for i in range(batch)]
            t = time.perf_counter()
            answering.answer_many(chunk)
            per_question.append((time.perf_counter() - t) * 1000 / batch)
        speed[batch] = summary(per_question)
    say("  engine alone, ms per question by batch: " + ", ".join(f"{b}: {v['p50']:.1f}" for b, v in speed.items()))
    memory = {}
    for name, extra in (("as shipped", {}), ("MALLOC_TRIM_THRESHOLD_=0", {"MALLOC_TRIM_THRESHOLD_": "0"})):
        out = subprocess.run([PY, "-m", "bench.throughput", "--engine-memory", str(index_dir)], cwd=ROOT, check=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT), **extra), capture_output=True, text=True)
        memory[name] = json.loads(out.stdout)
        say(f"  engine alone, {name}: RSS MB by questions answered " +
            ", ".join(f"{n}: {v:.0f}" for n, v in memory[name].items()))
    return {"ms_per_question_by_batch": speed, "rss_mb_by_questions_random_batches": memory}


def engine_memory(index_dir: Path) -> dict:
    """RSS every 1,000 questions over 6,000 answered in batches of 1 – 32 (each a new tensor shape for torch)."""
    import psutil

    answering, process = engine(index_dir), psutil.Process()
    questions = [q["question"] for q in load_questions()]
    rng, rss, answered = random.Random(0), {}, 0
    while answered < 6000:
        batch = rng.randint(1, 32)
        answering.answer_many([(rng.choice(questions), None) for _ in range(batch)])
        answered += batch
        if answered // 1000 > len(rss):
            rss[answered] = process.memory_info().rss / 2**20
    return rss


def cpu_s(pid: int, main_thread_only: bool = False) -> float:
    import psutil

    process = psutil.Process(pid)
    if main_thread_only:
        return sum(t.user_time + t.system_time for t in process.threads() if t.id == pid)
    t = process.cpu_times()
    return t.user + t.system


async def drive(emu, bot_pid: int, quick: bool) -> dict:
    questions = [q["question"] for q in load_questions()]
    marks = (100, 200) if quick else (1000, 5000)
    users = Users(emu, questions, bot_pid, rss_every=marks[0] // 4)
    people = [emu.user() for _ in range(USERS)]
    pairs = [(u, emu.private_chat(u)) for u in people]
    t = time.perf_counter()
    if "ms" not in await users.ask(*pairs[0], questions[0], timeout=180):
        raise RuntimeError("the bot never answered the first question")
    result = {"first_answer_s": time.perf_counter() - t, "rss_start_mb": rss_mb(bot_pid)}
    os.kill(bot_pid, signal.SIGUSR1)          # bench/sampler.py: start sampling now that the bot is serving

    say(f"  soak: {USERS} users until {marks[-1]:,} questions are answered…")
    while users.answered < marks[-1]:
        await users.phase(pairs, marks[-1] - users.answered, 600.0)
    lo, hi = (users.rss.get(m) for m in marks)
    result["rss"] = {"marks": list(marks), "at_mark_mb": [lo, hi], "growth_mb": hi - lo, "series": users.rss,
                     "target_mb": RSS_TARGET_MB}
    say(f"  bot RSS after {marks[0]:,} answers {lo:.0f} MB, after {marks[1]:,} {hi:.0f} MB")

    result["phases"] = []
    limits = (100, 5.0) if quick else (1000, 20.0)
    processes = {"bot": (bot_pid, False), "bot_event_loop_thread": (bot_pid, True),
                 "emulator": (emu._proc.pid, False), "load_generator": (os.getpid(), False)}
    for n in (1, 16) if quick else (1, 4, 16, 64):
        # new users in new chats: the emulator rescans a chat's whole history each time a waiting user is woken,
        # so chats kept from the soak would make its CPU, not the bot's, grow with every phase
        fresh = [(u, emu.private_chat(u)) for u in (emu.user() for _ in range(n))]
        before = {k: cpu_s(*p) for k, p in processes.items()}
        p = await users.phase(fresh, *limits)
        p["cpu_s"] = {k: cpu_s(*process) - before[k] for k, process in processes.items()}
        p["bot_cpu_ms_per_answer"] = 1000 * p["cpu_s"]["bot"] / max(p["answered"], 1)
        result["phases"].append(p)
        c = p["cpu_s"]
        say(f"  {n:3d} users: {p['answers_per_s']:6.1f} answers/s, p50 {p['latency_ms']['p50']:.0f} ms, "
            f"p95 {p['latency_ms']['p95']:.0f} ms; CPU s bot {c['bot']:.1f}, emulator {c['emulator']:.1f}, "
            f"load {c['load_generator']:.1f} (bot's event-loop thread {c['bot_event_loop_thread']:.1f}); "
            f"timeouts {p['timeouts']}")
    await asyncio.sleep(1.0)          # let late duplicates arrive before the audit
    result["audit"] = await users.audit()
    users.api.close()
    return result


def main(quick: bool = False) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from tgemu import TelegramEmulator

    label = "python -m bot run"
    say(f"throughput: {label}, under bench/sampler.py")
    tmp = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), INDEX_DIR=str(tmp / "index"), CORPUS_DIR=str(ROOT / "corpus"),
               DATABASE_PATH=str(tmp / "bot.sqlite3"), LLM_MODEL="", WEBHOOK_URL="", ALLOWED_CHAT_IDS="",
               ALLOWED_USER_IDS="", USER_COOLDOWN_SECONDS="0", CHAT_QUESTIONS_PER_MINUTE="1000000",
               TELEGRAM_MESSAGES_PER_SECOND="0", TELEGRAM_GROUP_MESSAGES_PER_MINUTE="0")
    if not seed_index(tmp / "index"):
        subprocess.run([PY, "-m", "index", "build"], cwd=ROOT, env=env, check=True, capture_output=True)
    result = {"bot": label, "target_answers_per_s": TARGET_ANSWERS_PER_S,
              "engine_alone": None if quick else engine_alone(tmp / "index")}
    try:
        with TelegramEmulator() as emu, open(tmp / "bot.log", "wb") as log:
            env.update(TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_API_BASE_URL=emu.api_root)
            bot = subprocess.Popen([PY, "-m", "bench.sampler", str(tmp / "profile.json"), "bot", "run"], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                result.update(asyncio.run(drive(emu, bot.pid, quick)))
            finally:                          # stop the bot (by pid) while the emulator still answers it
                bot.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    bot.wait(15)
                if bot.poll() is None:
                    bot.kill()
                    bot.wait()
    except Exception as exc:
        result["error"] = f"{exc.__class__.__name__}: {exc}"
        result["bot_log_tail"] = (tmp / "bot.log").read_text(errors="replace")[-2000:]
        say(f"throughput FAILED: {result['error']}\n{result['bot_log_tail']}")
    finally:
        if (tmp / "profile.json").exists():
            result["event_loop_profile"] = json.loads((tmp / "profile.json").read_text())
        shutil.rmtree(tmp, ignore_errors=True)
    if "audit" in result:
        a = result["audit"]
        result["best_answers_per_s"] = max(p["answers_per_s"] for p in result["phases"])
        result["met"] = result["best_answers_per_s"] >= TARGET_ANSWERS_PER_S and a["lost"] == a["duplicated"] == 0
        say(f"  audit: {a['questions']} questions, {a['bot_messages']} bot messages, lost {a['lost']}, "
            f"duplicated {a['duplicated']} (matched by {a['matched_by']})")
    write("throughput", result, quick)
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--engine-memory"]:          # (internal) one process of engine_alone's memory check
        print(json.dumps(engine_memory(Path(sys.argv[2]))))
    else:
        main("--quick" in sys.argv)
