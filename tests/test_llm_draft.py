"""bot.llm.Draft: what it shows must not depend on how the model's text is cut into deltas.

Every replayed reply of test_llm_replay.py is fed in deltas of 1, 2, 3, 5, 8 and 13 characters and all at once;
the shown text must be the same each time, and each streamed piece must be part of it."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.llm import Draft
from test_llm_replay import CASES, scripted

ROOT = Path(__file__).resolve().parent.parent


def passages() -> list[str]:
    text = (ROOT / "corpus" / "gpu-smuggling-china.md").read_text(encoding="utf-8")
    out = []
    for section in text.split("\n## ")[1:]:
        out += [p.strip() for p in section.split("\n", 1)[1].split("\n\n") if p.strip()]
    return [out[2], out[0], out[9], out[3], out[5]]         # as retrieval orders them for the ByteDance question


HITS = [SimpleNamespace(chunk=SimpleNamespace(text=p)) for p in passages()]


def run(reply: str, size: int, language: str, complete: bool) -> tuple[str, list[str], Draft]:
    draft = Draft(HITS, language)
    pieces = [draft.feed(reply[i:i + size]) for i in range(0, len(reply), size)]
    pieces.append(draft.finish(complete=complete))
    return "".join(pieces), [p for p in pieces if p], draft


def cites_only_these(case) -> bool:
    """The case's reply cites only passages among HITS (the others' replies can't be replayed here)."""
    try:
        scripted(case.reply, HITS)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("case", [c for c in CASES if not c.multilingual and c.question != "头等舱机票多少钱？"
                                  and cites_only_these(c)], ids=lambda c: c.id)
def test_the_same_text_is_shown_however_the_deltas_fall(case):
    reply = scripted(case.reply, HITS)
    complete = case.server.get("finish_reason", "stop") == "stop"
    whole, _, reference = run(reply, max(1, len(reply)), case.language, complete)
    assert whole == reference.text
    for size in (1, 2, 3, 5, 8, 13):
        shown, pieces, draft = run(reply, size, case.language, complete)
        assert shown == whole, f"deltas of {size}: {shown!r} != {whole!r}"
        assert draft.cited == reference.cited
