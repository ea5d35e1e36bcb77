"""kill -9 while the bot writes to SQLite: after every restart, each write the process reported committed is
there, whole, and the database passes PRAGMA integrity_check. The writer is a real process using the bot's Store."""
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import reliability
from bot.telegram.storage import Store

WRITER = Path(__file__).resolve().parent / "store_writer.py"
KILLS = 8


def run_and_kill(db: Path, first: int, rng: random.Random) -> list[list[str]]:
    """Start a writer, let it report a random number of writes, SIGKILL it a random moment later."""
    lines = []
    with subprocess.Popen([sys.executable, str(WRITER), str(db), str(first), str(rng.randrange(1 << 30))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        try:
            for _ in range(rng.randrange(4, 120)):
                line = child.stdout.readline()
                assert line, f"the writer died by itself: {child.stderr.read()}"
                lines.append(line)
            time.sleep(rng.uniform(0, 0.03))     # it keeps writing: the kill lands mid-transaction, or between
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        # not communicate(): it reads the raw pipe and would skip what readline() already buffered
        rest, errors = child.stdout.read(), child.stderr.read()
    assert child.returncode == -signal.SIGKILL and "Traceback" not in errors, errors
    lines += rest.splitlines(keepends=True)
    return [line.split() for line in lines if line.endswith("\n")]   # a line cut by the kill was never reported


def test_kill_9_while_writing_loses_nothing_committed(tmp_path):
    db = tmp_path / "bot.sqlite3"
    rng = random.Random(20240905)
    reported: list[list[str]] = []
    for kill in range(KILLS):
        reported += run_and_kill(db, first=kill * 100_000, rng=rng)
        store = Store(db)                        # the restart: opened as the bot opens it
        try:
            check(store.db, reported)
        finally:
            store.close()
    assert sum(1 for r in reported if r[0] == "feedback") >= KILLS
    reliability.record("Process: kill -9 while writing to SQLite", cases=KILLS,
                       injected="SIGKILL at random moments to a process writing questions, answers, deliveries "
                                "and feedback through Store; reopened after each kill")


def check(db: sqlite3.Connection, reported: list[list[str]]) -> None:
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    questions = {qid: text for qid, text in db.execute("SELECT id, text FROM questions")}
    answers = dict(db.execute("SELECT id, question_id FROM answers"))
    citations = dict(db.execute("SELECT answer_id, COUNT(*) FROM citations GROUP BY answer_id"))
    delivered = {(a, m) for a, m in db.execute("SELECT answer_id, message_id FROM answer_messages")}
    latency = dict(db.execute("SELECT id, latency_ms FROM answers"))
    feedback = {(a, u): v for a, u, v in db.execute("SELECT answer_id, user_id, value FROM feedback")}
    # an answer and its citations are one transaction: never an answer without them, committed or not
    assert all(citations.get(a, 0) >= 1 for a in answers)
    for kind, *fields in reported:
        ids = list(map(int, fields))
        match kind:
            case "question":
                assert questions[ids[0]].startswith(f"question {ids[1]} ")
            case "answer":
                assert answers[ids[0]] == ids[1] and citations[ids[0]] == ids[2]
            case "delivery":
                assert {(ids[0], ids[1]), (ids[0], ids[2])} <= delivered and latency[ids[0]] == 30.0
            case "feedback":
                assert feedback[ids[0], ids[1]] == ids[2]
            case _:
                raise AssertionError(f"unexpected line from the writer: {kind} {fields}")
