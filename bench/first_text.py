"""How long a checked sentence waits before the user can see it: python -m bench.first_text [--rounds N]

Issue target: first visible text ≤ the model's time to its first complete sentence + 250 ms. A scripted
OpenAI-compatible server (tests/llm_server.py) on loopback streams the same three-sentence answer, 4
characters a delta, 40 ms apart, to two readers, interleaved round by round:
- the bare `openai` client: when the delta that completes the first sentence (its citation marker and full
  stop) arrives, counted from the moment the server received the request;
- the product (`Engine.stream` with an LLM configured, real retrieval, real checks): when its first text
  delta is yielded, counted from the same server-side moment.
The difference of the medians is what reading, checking and re-citing the first sentence costs before it
can be shown. Chinese and English answers about the seed article are measured apart (English ones are
checked across languages with the multilingual embedder), each twice: "cold", the claim checker's embedding
cache emptied before each round (claims and passages never seen before), and "warm", kept.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = {
    "zh": ("字节跳动被认为是中国最大的GPU走私者，拥有超过50万个GPU[1]。它通过从Oracle、Google等云服务提供商处租赁GPU绕过出口禁令[2]。"
           "这一租赁行为在法规上合法[2]。", "字节跳动在中国有多少GPU？"),
    "en": ("ByteDance is said to be China's largest GPU smuggler, with more than 500,000 GPUs [1]. It rents GPUs from "
           "cloud providers such as Oracle and Google [2]. The renting is legal [2].", "How many GPUs does ByteDance have?"),
}
CHUNK, DELAY_S = 4, 0.04


def first_sentence_end(text: str) -> int:
    """Where the first sentence ends, its full stop included."""
    return min(i + 1 for i, ch in enumerate(text) if ch in "。." and (ch == "。" or text[i + 1:i + 2] == " "))


def bare(llm, reply: str, arrived: list[float]) -> float:
    """Seconds from the request's arrival at the server to the delta completing the first sentence."""
    end, seen = first_sentence_end(reply), ""
    stream = llm.client().chat.completions.create(model="scripted-model", stream=True,
                                                  messages=[{"role": "user", "content": "?"}])
    for chunk in stream:
        seen += (chunk.choices[0].delta.content or "") if chunk.choices else ""
        if len(seen) >= end:
            got = time.perf_counter()
            for _ in stream:         # drain, as a reader would
                pass
            return got - arrived[-1]
    raise AssertionError("the stream ended before the first sentence")


def product(engine, question: str, arrived: list[float], cold: bool = False) -> float:
    """Seconds from the request's arrival at the server to the product's first visible text."""
    from bot import claims

    if cold:
        claims._vectors.clear()
    got = None
    for item in engine.stream(question):
        if isinstance(item, str) and got is None:
            got = time.perf_counter()
    if got is None:
        raise AssertionError("the product showed nothing before its final answer")
    return got - arrived[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_text", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from llm_server import ScriptedLLM

    from bot.engine import Engine
    from bot.settings import LLMSettings, Settings

    print(f"first visible text: {args.rounds} rounds per language, {CHUNK}-character deltas {DELAY_S * 1000:.0f} ms apart")
    with ScriptedLLM() as llm:
        arrived: list[float] = []
        settings = Settings.from_env()
        engine = Engine(Settings(index=settings.index, llm=LLMSettings(model="scripted-model", base_url=llm.base_url,
                                                                         api_key="bench", deadline_s=30.0)),
                        progress=False)
        for language, (reply, question) in ANSWERS.items():
            def script(_body, reply=reply):
                arrived.append(time.perf_counter())
                return reply
            llm.reply_with(script, chunk_size=CHUNK, delay_s=DELAY_S)
            product(engine, question, arrived)          # load jieba, the claim analyses, the embedder
            model_ms, cold_ms, warm_ms = [], [], []
            for _ in range(args.rounds):
                model_ms.append(bare(llm, reply, arrived) * 1000)
                cold_ms.append(product(engine, question, arrived, cold=True) * 1000)
                warm_ms.append(product(engine, question, arrived) * 1000)
            model = statistics.median(model_ms)
            for name, shown in (("cold", statistics.median(cold_ms)), ("warm", statistics.median(warm_ms))):
                print(f"  {language} {name}: model's first sentence complete {model:.0f} ms, first text shown "
                      f"{shown:.0f} ms (medians) -> +{shown - model:.0f} ms (target <= +250 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
