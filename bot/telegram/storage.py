"""The bot's SQLite database: questions, answers, citations, feedback, per-chat settings and which Telegram
messages carry which answer (the reply-chain memory). WAL, one connection, used from the event loop only:
every statement is a small indexed read or write."""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..answer import Answer, Citation, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    message_id INTEGER,
    thread_id INTEGER,
    text TEXT NOT NULL,
    previous_answer_id INTEGER REFERENCES answers(id),   -- the answer this one follows up
    asked_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    text TEXT NOT NULL,
    refused INTEGER NOT NULL,
    mode TEXT NOT NULL,
    language TEXT NOT NULL,
    note TEXT NOT NULL,
    engine_ms REAL NOT NULL,
    latency_ms REAL,                                      -- question received -> answer delivered
    answered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS citations (
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    n INTEGER NOT NULL,
    doc TEXT NOT NULL,
    section TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (answer_id, n)
);
CREATE TABLE IF NOT EXISTS answer_messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    user_id INTEGER NOT NULL,
    value INTEGER NOT NULL,                               -- +1 / -1; a user's last press counts
    given_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX IF NOT EXISTS questions_by_message ON questions (chat_id, message_id);
CREATE INDEX IF NOT EXISTS answers_by_question ON answers (question_id);
CREATE TABLE IF NOT EXISTS chat_settings (
    chat_id INTEGER PRIMARY KEY,
    language TEXT                                         -- "zh" | "en" | NULL = follow each question
);
CREATE TABLE IF NOT EXISTS shown (
    question_id INTEGER PRIMARY KEY REFERENCES questions(id),
    chat_id INTEGER NOT NULL,
    message_ids TEXT NOT NULL,                            -- JSON list, in reading order
    answer_id INTEGER REFERENCES answers(id)              -- NULL: only a streaming preview is shown
);
CREATE TABLE IF NOT EXISTS opened_passages (
    chat_id INTEGER NOT NULL,
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    n INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (chat_id, answer_id, n)
);
"""
# Columns added after the first release: (table, column, definition). Added to an older database at start.
COLUMNS = [("questions", "kind", "TEXT NOT NULL DEFAULT 'ask'")]    # "ask" | "check"

KINDS = ("ask", "check")


@dataclass(frozen=True)
class PendingQuestion:
    """A question asked before a crash that never got its answer."""
    id: int
    chat_id: int
    message_id: int | None
    thread_id: int | None
    text: str
    previous_answer_id: int | None
    kind: str = "ask"


@dataclass(frozen=True)
class Question:
    """A stored question, found by the message that asked it."""
    id: int
    text: str
    kind: str
    previous_answer_id: int | None
    answer_id: int | None            # its latest answer, None while it waits or is being answered


@dataclass(frozen=True)
class Stats:
    questions: int
    answered: int
    refused: int
    feedback_up: int
    feedback_down: int
    latency_ms: dict[str, float]      # "p50", "p90", "p99" over delivered answers


class Store:
    def __init__(self, path: Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)   # autocommit; transactions are explicit
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)
        for table, column, definition in COLUMNS:
            if column not in {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def close(self) -> None:
        self.db.close()

    # -- questions and answers -----------------------------------------------------------------

    def record_question(self, chat_id: int, user_id: int | None, message_id: int | None, thread_id: int | None,
                        text: str, previous_answer_id: int | None, kind: str = "ask") -> int:
        return self.db.execute(
            "INSERT INTO questions (chat_id, user_id, message_id, thread_id, text, previous_answer_id, asked_at, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (chat_id, user_id, message_id, thread_id, text, previous_answer_id, time.time(), kind)).lastrowid

    def question_of(self, chat_id: int, message_id: int) -> Question | None:
        """The question a user's message asked (the latest, if it was asked again), with its latest answer."""
        row = self.db.execute(
            "SELECT q.id, q.text, q.kind, q.previous_answer_id, (SELECT MAX(a.id) FROM answers a"
            " WHERE a.question_id = q.id) FROM questions q WHERE q.chat_id = ? AND q.message_id = ?"
            " ORDER BY q.id DESC LIMIT 1", (chat_id, message_id)).fetchone()
        return Question(*row) if row else None

    def question_now(self, question_id: int) -> tuple[str, str]:
        """(text, kind) of a question as it is now: the asker may have edited it."""
        return self.db.execute("SELECT text, kind FROM questions WHERE id = ?", (question_id,)).fetchone()

    def edit_question(self, question_id: int, text: str, kind: str) -> None:
        """The asker edited the question's message (before or after it was answered)."""
        self.db.execute("UPDATE questions SET text = ?, kind = ? WHERE id = ?", (text, kind, question_id))

    def record_shown(self, question_id: int, chat_id: int, message_ids: list[int], answer_id: int | None) -> None:
        """These messages show the question's answer (or, answer_id None, its half-written preview)."""
        self.db.execute("INSERT OR REPLACE INTO shown (question_id, chat_id, message_ids, answer_id) VALUES (?, ?, ?, ?)",
                        (question_id, chat_id, json.dumps(message_ids), answer_id))

    def shown(self, question_id: int) -> tuple[int, list[int], int | None] | None:
        """(chat id, message ids, answer id or None for a preview) of what shows this question's answer."""
        row = self.db.execute("SELECT chat_id, message_ids, answer_id FROM shown WHERE question_id = ?",
                              (question_id,)).fetchone()
        return (row[0], json.loads(row[1]), row[2]) if row else None

    def record_answer(self, question_id: int, answer: Answer) -> int:
        with self.db:
            self.db.execute("BEGIN")
            answer_id = self.db.execute(
                "INSERT INTO answers (question_id, text, refused, mode, language, note, engine_ms, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (question_id, answer.text, int(answer.refused), answer.mode, answer.language, answer.note,
                 answer.timings.get("total", 0.0), time.time())).lastrowid
            self.db.executemany(
                "INSERT INTO citations (answer_id, n, doc, section, chunk_id, text) VALUES (?, ?, ?, ?, ?, ?)",
                [(answer_id, c.n, c.doc, c.section, c.chunk_id, c.text) for c in answer.citations])
        return answer_id

    def record_delivery(self, answer_id: int, chat_id: int, message_ids: list[int], latency_ms: float) -> None:
        """The answer reached the chat in these messages, this long after its question arrived."""
        with self.db:
            self.db.execute("BEGIN")
            self._messages(answer_id, chat_id, message_ids)
            self.db.execute("UPDATE answers SET latency_ms = ? WHERE id = ?", (latency_ms, answer_id))
            question_id = self.db.execute("SELECT question_id FROM answers WHERE id = ?", (answer_id,)).fetchone()[0]
            self.db.execute("INSERT OR REPLACE INTO shown (question_id, chat_id, message_ids, answer_id)"
                            " VALUES (?, ?, ?, ?)", (question_id, chat_id, json.dumps(message_ids), answer_id))

    def _messages(self, answer_id: int, chat_id: int, message_ids: list[int]) -> None:
        """A reply to any of these messages is a follow-up to the answer: the reply-chain memory."""
        self.db.executemany("INSERT OR REPLACE INTO answer_messages (chat_id, message_id, answer_id) VALUES (?, ?, ?)",
                            [(chat_id, m, answer_id) for m in message_ids])

    def question_seen(self, chat_id: int, message_id: int) -> bool:
        """Telegram delivers an update again when the bot died before confirming it."""
        return self.db.execute("SELECT 1 FROM questions WHERE chat_id = ? AND message_id = ?",
                               (chat_id, message_id)).fetchone() is not None

    def unanswered(self, since: float, until: float) -> list[PendingQuestion]:
        """Questions asked between two times that have no answer stored: a process died while answering."""
        rows = self.db.execute(
            "SELECT q.id, q.chat_id, q.message_id, q.thread_id, q.text, q.previous_answer_id, q.kind FROM questions q"
            " WHERE q.asked_at > ? AND q.asked_at < ? AND NOT EXISTS"
            " (SELECT 1 FROM answers a WHERE a.question_id = q.id) ORDER BY q.id", (since, until))
        return [PendingQuestion(*row) for row in rows]

    def turn(self, answer_id: int) -> Turn | None:
        row = self.db.execute("SELECT q.text, a.text FROM answers a JOIN questions q ON q.id = a.question_id"
                              " WHERE a.id = ?", (answer_id,)).fetchone()
        return Turn(question=row[0], answer=row[1]) if row else None

    def answer_shown_in(self, chat_id: int, message_id: int) -> tuple[int, Turn] | None:
        """The answer a bot message shows, as (answer id, the turn it closed), or None."""
        row = self.db.execute(
            "SELECT a.id, q.text, a.text FROM answer_messages m JOIN answers a ON a.id = m.answer_id"
            " JOIN questions q ON q.id = a.question_id WHERE m.chat_id = ? AND m.message_id = ?",
            (chat_id, message_id)).fetchone()
        return (row[0], Turn(question=row[1], answer=row[2])) if row else None

    def citations(self, answer_id: int) -> list[Citation]:
        return [Citation(*row) for row in self.db.execute(
            "SELECT n, doc, section, chunk_id, text FROM citations WHERE answer_id = ? ORDER BY n", (answer_id,))]

    def buttons_shown_in(self, answer_id: int) -> tuple[int, int] | None:
        """(chat id, message id) of the message that carries an answer's buttons: the last of its messages."""
        row = self.db.execute("SELECT chat_id, message_ids FROM shown WHERE answer_id = ?", (answer_id,)).fetchone()
        return (row[0], json.loads(row[1])[-1]) if row and json.loads(row[1]) else None

    def citation(self, answer_id: int, n: int) -> Citation | None:
        row = self.db.execute("SELECT n, doc, section, chunk_id, text FROM citations WHERE answer_id = ? AND n = ?",
                              (answer_id, n)).fetchone()
        return Citation(*row) if row else None

    # -- feedback and settings -------------------------------------------------------------------

    def record_feedback(self, answer_id: int, user_id: int, value: int) -> bool:
        """False when the answer is unknown (e.g. a button from another database). value 0 takes a vote back."""
        if not self.db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone():
            return False
        if value == 0:
            self.db.execute("DELETE FROM feedback WHERE answer_id = ? AND user_id = ?", (answer_id, user_id))
        else:
            self.db.execute("INSERT OR REPLACE INTO feedback (answer_id, user_id, value, given_at) VALUES (?, ?, ?, ?)",
                            (answer_id, user_id, value, time.time()))
        return True

    def vote(self, answer_id: int, user_id: int) -> int:
        """This user's vote on an answer: +1, -1 or 0."""
        row = self.db.execute("SELECT value FROM feedback WHERE answer_id = ? AND user_id = ?",
                              (answer_id, user_id)).fetchone()
        return row[0] if row else 0

    def votes(self, answer_id: int) -> tuple[int, int]:
        """(👍, 👎) counts on an answer."""
        up, down = self.db.execute("SELECT COALESCE(SUM(value > 0), 0), COALESCE(SUM(value < 0), 0) FROM feedback"
                                   " WHERE answer_id = ?", (answer_id,)).fetchone()
        return up, down

    def passage_opened(self, chat_id: int, answer_id: int, n: int) -> int | None:
        """The message that already shows passage [n] of this answer in this chat, if any."""
        row = self.db.execute("SELECT message_id FROM opened_passages WHERE chat_id = ? AND answer_id = ? AND n = ?",
                              (chat_id, answer_id, n)).fetchone()
        return row[0] if row else None

    def record_opened(self, chat_id: int, answer_id: int, n: int, message_ids: list[int]) -> None:
        """Passage [n] is now shown in these messages; replying to them continues the answer's conversation."""
        with self.db:
            self.db.execute("BEGIN")
            self._messages(answer_id, chat_id, message_ids)
            self.db.execute("INSERT OR REPLACE INTO opened_passages (chat_id, answer_id, n, message_id) VALUES (?, ?, ?, ?)",
                            (chat_id, answer_id, n, message_ids[0]))

    def chat_language(self, chat_id: int) -> str | None:
        row = self.db.execute("SELECT language FROM chat_settings WHERE chat_id = ?", (chat_id,)).fetchone()
        return row[0] if row else None

    def set_chat_language(self, chat_id: int, language: str | None) -> None:
        self.db.execute("INSERT INTO chat_settings (chat_id, language) VALUES (?, ?)"
                        " ON CONFLICT (chat_id) DO UPDATE SET language = excluded.language", (chat_id, language))

    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its settings and history move to the new id."""
        with self.db:
            self.db.execute("BEGIN")
            for table in ("questions", "answer_messages", "chat_settings", "shown", "opened_passages"):
                self.db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id))

    # -- admin -----------------------------------------------------------------------------------

    def stats(self) -> Stats:
        questions = self.db.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
        answered, refused = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(refused), 0) FROM answers WHERE mode != 'invalid'").fetchone()
        up, down = self.db.execute(
            "SELECT COALESCE(SUM(value > 0), 0), COALESCE(SUM(value < 0), 0) FROM feedback").fetchone()
        latencies = [r[0] for r in self.db.execute(
            "SELECT latency_ms FROM answers WHERE latency_ms IS NOT NULL ORDER BY latency_ms")]
        return Stats(questions=questions, answered=answered - refused, refused=refused, feedback_up=up,
                     feedback_down=down, latency_ms={f"p{p}": _percentile(latencies, p) for p in (50, 90, 99)})


def _percentile(ordered: list[float], p: int) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, -(-p * len(ordered) // 100))    # ceil(p/100 * n)
    return ordered[rank - 1]
