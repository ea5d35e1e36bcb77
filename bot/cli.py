"""python -m bot ask "question" [--json] | python -m bot ask --jsonl < questions.txt"""
from __future__ import annotations

import json
import sys

from . import messages
from .answer import Answer


def render_text(answer: Answer) -> str:
    lines = []
    if label := messages.mode_label(answer.mode, answer.language):
        lines.append(label)
    lines.append(answer.text)
    if messages.is_notice(answer.note):
        lines.append(answer.note)
    if answer.citations and not answer.refused:
        lines.append("")
        lines.append(messages.text("sources", answer.language) + ":")
        for c in answer.citations:
            lines.append(f"[{c.n}] {c.where}  ({c.chunk_id})")
            lines.append("    " + c.text.replace("\n", "\n    "))
    return "\n".join(lines)


def ask(engine, question: str | None, as_json: bool, jsonl: bool) -> int:
    if jsonl:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(engine.answer(line.rstrip("\n")).to_json(), ensure_ascii=False), flush=True)
        return 0
    answer = engine.answer(question or "")
    print(json.dumps(answer.to_json(), ensure_ascii=False) if as_json else render_text(answer))
    return 0
