#!/usr/bin/env python3
"""Sanity checks for eval/written: questions.jsonl against corpus/*.md."""
import json, os, re, sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
KINDS = ["direct", "paraphrase", "polite", "unanswerable", "offtopic", "crosslang"]
EXPECTED = {"direct": 3, "paraphrase": 3, "polite": 2, "unanswerable": 4, "crosslang": 3}

problems = []
articles = {}
for fn in sorted(os.listdir(CORPUS)):
    if fn.endswith(".md"):
        slug = fn[:-3]
        text = open(os.path.join(CORPUS, fn), encoding="utf-8").read()
        articles[slug] = text
        if not re.fullmatch(r"(en|zh)-[a-z0-9-]+", slug):
            problems.append(f"{slug}: bad slug")
        if not text.startswith("# "):
            problems.append(f"{slug}: first line is not '# Title'")
        nsec = len(re.findall(r"^## ", text, re.M))
        if not 2 <= nsec <= 4:
            problems.append(f"{slug}: {nsec} sections")
        if slug.startswith("en-"):
            size = len(text.split())
            ok = 400 <= size <= 700
            unit = "words"
        else:
            size = len(re.sub(r"\s", "", text))
            ok = 900 <= size <= 1400
            unit = "chars"
        print(f"article {slug}: {size} {unit}, {nsec} sections")
        if not ok:
            problems.append(f"{slug}: length {size} {unit} out of range")

qs = []
with open(os.path.join(HERE, "questions.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        line = line.strip()
        if line:
            try:
                qs.append(json.loads(line))
            except json.JSONDecodeError as e:
                problems.append(f"line {i}: bad JSON: {e}")

ids = [q.get("id") for q in qs]
for i, qid in enumerate(ids, 1):
    if qid != f"w{i:03d}":
        problems.append(f"id out of order at position {i}: {qid}")
if len(set(ids)) != len(ids):
    problems.append("duplicate ids")
if len({q["question"] for q in qs}) != len(qs):
    problems.append("duplicate question texts")

per_article = defaultdict(Counter)
kinds = Counter()
for q in qs:
    qid, kind, art, ans, lang = q["id"], q["kind"], q["article"], q["answers"], q["lang"]
    kinds[kind] += 1
    if set(q) != {"id", "question", "lang", "article", "answers", "kind"}:
        problems.append(f"{qid}: unexpected keys {sorted(q)}")
    if kind not in KINDS:
        problems.append(f"{qid}: unknown kind {kind}")
    if lang not in ("en", "zh"):
        problems.append(f"{qid}: bad lang {lang}")
    has_cjk = bool(re.search(r"[\u4e00-\u9fff]", q["question"]))
    if has_cjk != (lang == "zh"):
        problems.append(f"{qid}: lang {lang} does not match question text")
    if kind == "offtopic":
        if art is not None:
            problems.append(f"{qid}: offtopic must have article null")
        if ans:
            problems.append(f"{qid}: offtopic must have empty answers")
        continue
    if art not in articles:
        problems.append(f"{qid}: unknown article {art}")
        continue
    per_article[art][kind] += 1
    art_lang = art[:2]
    want_lang = art_lang if kind != "crosslang" else ("zh" if art_lang == "en" else "en")
    if lang != want_lang:
        problems.append(f"{qid}: lang {lang}, expected {want_lang}")
    if kind == "unanswerable":
        if ans:
            problems.append(f"{qid}: unanswerable must have empty answers")
        continue
    if not 1 <= len(ans) <= 3:
        problems.append(f"{qid}: {len(ans)} answers")
    for a in ans:
        if a not in articles[art]:
            problems.append(f"{qid}: answer {a!r} not verbatim in {art}")

print()
print("per article:")
print(f"{'article':20s} " + " ".join(f"{k[:6]:>6s}" for k in KINDS if k != "offtopic") + "  total")
for slug in sorted(articles):
    c = per_article[slug]
    print(f"{slug:20s} " + " ".join(f"{c[k]:6d}" for k in KINDS if k != "offtopic") + f"  {sum(c.values()):5d}")
    for k, n in EXPECTED.items():
        if c[k] != n:
            problems.append(f"{slug}: {c[k]} {k}, expected {n}")
print()
print("per kind:", ", ".join(f"{k}={kinds[k]}" for k in KINDS), f"total={len(qs)}")
print("per lang:", dict(Counter(q["lang"] for q in qs)))
if kinds["offtopic"] != 3 * len(articles):
    problems.append(f"{kinds['offtopic']} offtopic, expected {3 * len(articles)}")
if len(qs) != 18 * len(articles):
    problems.append(f"{len(qs)} questions, expected {18 * len(articles)}")

print()
if problems:
    print(f"{len(problems)} PROBLEM(S):")
    for p in problems:
        print("  -", p)
    sys.exit(1)
print("OK: all checks passed")
