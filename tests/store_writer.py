"""A child process for the kill -9 test: writes questions, answers, deliveries and feedback through the bot's
Store in a loop, forever, and prints one line after each write returns (= is committed), flushed:

    question <question id> <n>
    answer <answer id> <question id> <citations>
    delivery <answer id> <message id> <message id>
    feedback <answer id> <user id> <value>

    python tests/store_writer.py DB_PATH FIRST_N SEED
"""
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer import Answer, Citation  # noqa: E402
from bot.telegram.storage import Store  # noqa: E402


def main(path: str, first: int, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(Path(path))
    n = first
    while True:
        qid = store.record_question(chat_id=-100 - n % 3, user_id=n % 7, message_id=n, thread_id=None,
                                    text=f"question {n} " + "问" * rng.randrange(1, 300), previous_answer_id=None)
        print("question", qid, n, flush=True)
        citations = tuple(Citation(k, "文章", "一节", f"doc#{k}", "段落" * rng.randrange(1, 2000))
                          for k in range(1, rng.randrange(2, 6)))
        answer = Answer(question=f"question {n}", text="答" * rng.randrange(1, 3000), citations=citations,
                        refused=False, mode="extractive", language="zh", timings={"total": 12.5})
        aid = store.record_answer(qid, answer)
        print("answer", aid, qid, len(citations), flush=True)
        store.record_delivery(aid, -100 - n % 3, [2 * n, 2 * n + 1], latency_ms=30.0)
        print("delivery", aid, 2 * n, 2 * n + 1, flush=True)
        value = rng.choice((1, -1))
        store.record_feedback(aid, n % 7, value)
        print("feedback", aid, n % 7, value, flush=True)
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
