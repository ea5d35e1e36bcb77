#!/usr/bin/env python3
"""Sanity checks for a question set, eval/dev.jsonl or eval/test.jsonl (stdlib only).

Usage: python3 eval/check_dataset.py [--article PATH] [--dataset PATH]

Errors (exit 1):
  - malformed line / missing or wrongly typed field, bad lang or kind, duplicate id
  - evidence string not an exact substring of the article body, spanning a
    paragraph break, or outside 6-30 characters
  - unanswerable item with non-empty evidence or answer
  - answerable item with no evidence or no answer group, or an empty group
  - an answer group with no alternative that is either in the article text
    or an English (ASCII) alternative
Warnings (exit 0):
  - an answer group with no alternative present in the article (an offline
    extractive answerer, which can only quote the article, cannot satisfy it)
  - an answer group none of whose article alternatives occurs in a paragraph
    that contains one of the item's evidence strings
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_ARTICLE = HERE.parent / "corpus" / "gpu-smuggling-china.md"
DEFAULT_DATASET = HERE / "dev.jsonl"

LANGS = {"zh", "en"}
KINDS = {"direct", "paraphrase", "unanswerable"}
EV_MIN, EV_MAX = 6, 30


def article_body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"\A---\s*\n.*?\n---\s*\n", text, flags=re.S)
    return text[m.end():] if m else text


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--article", type=Path, default=DEFAULT_ARTICLE)
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    args = ap.parse_args()

    body = article_body(args.article)
    body_l = body.lower()
    paras = paragraphs(body)
    errors: list[str] = []
    warnings: list[str] = []
    ids: Counter = Counter()
    counts: Counter = Counter()
    n = 0

    for lineno, line in enumerate(args.dataset.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {lineno}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{where}: invalid JSON ({e})")
            continue
        if not isinstance(item, dict):
            errors.append(f"{where}: not a JSON object")
            continue
        n += 1
        iid = item.get("id")
        where = f"{where} [{iid}]"
        missing = [k for k in ("id", "lang", "kind", "question", "evidence", "answer") if k not in item]
        if missing:
            errors.append(f"{where}: missing fields {missing}")
            continue
        ids[iid] += 1
        lang, kind, q, ev, ans = item["lang"], item["kind"], item["question"], item["evidence"], item["answer"]
        if not isinstance(iid, str) or not iid:
            errors.append(f"{where}: id must be a non-empty string")
        if lang not in LANGS:
            errors.append(f"{where}: bad lang {lang!r}")
        if kind not in KINDS:
            errors.append(f"{where}: bad kind {kind!r}")
        if not isinstance(q, str) or not q.strip():
            errors.append(f"{where}: empty question")
        if not (isinstance(ev, list) and all(isinstance(e, str) for e in ev)):
            errors.append(f"{where}: evidence must be a list of strings")
            continue
        if not (isinstance(ans, list) and all(isinstance(g, list) and all(isinstance(a, str) for a in g) for g in ans)):
            errors.append(f"{where}: answer must be a list of lists of strings")
            continue
        counts[(lang, kind)] += 1

        if kind == "unanswerable":
            if ev or ans:
                errors.append(f"{where}: unanswerable item must have empty evidence and answer")
            continue

        if not ev:
            errors.append(f"{where}: answerable item has no evidence")
        if not ans:
            errors.append(f"{where}: answerable item has no answer group")
        for e in ev:
            if not (EV_MIN <= len(e) <= EV_MAX):
                errors.append(f"{where}: evidence length {len(e)} outside {EV_MIN}-{EV_MAX}: {e!r}")
            if e not in body:
                errors.append(f"{where}: evidence not an exact substring of the article: {e!r}")
            elif "\n" in e:
                errors.append(f"{where}: evidence spans a line/paragraph break: {e!r}")
        ev_paras = [p.lower() for p in paras if any(e and e in p for e in ev)]

        for gi, group in enumerate(ans, 1):
            alts = [a for a in group if a.strip()]
            if not alts:
                errors.append(f"{where}: answer group {gi} is empty")
                continue
            in_article = [a for a in alts if a.lower() in body_l]
            ascii_alts = [a for a in alts if a.isascii()]
            if not in_article and not ascii_alts:
                errors.append(f"{where}: answer group {gi} {alts} has no alternative in the article and no English alternative")
                continue
            if not in_article:
                warnings.append(f"{where}: answer group {gi} {alts} has no alternative present in the article "
                                "(offline extractive mode cannot match it)")
            elif ev_paras and not any(a.lower() in p for a in in_article for p in ev_paras):
                warnings.append(f"{where}: answer group {gi} {alts} not found in any evidence paragraph")

    for iid, c in ids.items():
        if c > 1:
            errors.append(f"duplicate id {iid!r} ({c} times)")

    print(f"article: {args.article} ({len(body)} chars, {len(paras)} paragraphs)")
    print(f"dataset: {args.dataset} ({n} items)")
    for lang in sorted(LANGS, reverse=True):
        row = {k: counts[(lang, k)] for k in ("direct", "paraphrase", "unanswerable")}
        print(f"  {lang}: total={sum(row.values()):3d}  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    by_kind = {k: sum(v for (l, kk), v in counts.items() if kk == k) for k in ("direct", "paraphrase", "unanswerable")}
    print("  all: total={:3d}  ".format(sum(by_kind.values())) + "  ".join(f"{k}={v}" for k, v in by_kind.items()))

    for w in warnings:
        print(f"WARNING: {w}")
    for e in errors:
        print(f"ERROR: {e}")
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
