import asyncio

from bot.batching import MicroBatcher


async def test_concurrent_questions_share_batches_and_get_their_own_answers(engine):
    batcher = MicroBatcher(engine)
    questions = ["字节跳动在中国有多少GPU？", "新加坡的电力短缺持续了多少年？", "AMD的MI300在中国卖多少钱？"] * 10
    answers = await asyncio.gather(*(batcher.answer(q) for q in questions))
    await batcher.close()
    assert [a.question for a in answers] == questions
    assert "50万" in answers[0].text and "15年" in answers[1].text and answers[2].refused
    assert batcher.batches < len(questions) / 3
