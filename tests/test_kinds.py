"""What kind of answer a question asks for, and whether a sentence gives one."""
import pytest

from bot import kinds


@pytest.mark.parametrize("question, kind", [
    ("华为在哪一年遭禁？", "year"),
    ("新规是哪天开始生效的？", "date"),
    ("When was Huawei cut off?", "date"),
    ("What happens when a smuggler is caught?", None),        # this "when" joins, it doesn't ask
    ("Dylan Patel今年多大年纪？", "age"),
    ("新加坡的电力短缺问题持续了多少年？", "duration"),
    ("How long has the shortage lasted?", "duration"),
    ("GPU走私已成为第几大黑市交易？", "rank"),
    ("字节跳动在马来西亚建了几个数据中心？", "count"),
    ("英伟达的H20去年合法卖进中国的有多少台？", "count"),      # 卖…多少台 counts units, it isn't a price
    ("一张头等舱机票要多少钱？", "money"),
    ("倒手到国内能卖多少？", "money"),
    ("NVIDIA卖给中国多少H20？", "number"),                    # 卖…多少 H20s: units, not a price
    ("字节跳动租了多少GPU？", "number"),
    ("字节跳动向甲骨文租了几年GPU？", "duration"),           # 租…几年 asks how long, not a price
    ("成本和卖价分别是多少？", "money"),
    ("How much does a first-class ticket cost?", "money"),
    ("What is the price of an H20?", "money"),
    ("字节跳动在中国境内的GPU数量超过多少？", "number"),
    ("为什么新加坡不让再建新的机房了？", None),
    ("GPU走私会判几年？", "duration"),
    ("业内预计GPU走私市场在未来几年可能超越什么？", None),   # 未来几年 says when, it doesn't ask
    ("字节跳动的市值是多少？", "money"),
    ("Who are the guests?", "person"),
    ("朱椿的母亲是谁？", "person"),
    ("诺曼人来自哪里？", "place"),
    ("How long is the Bayeux Tapestry?", "number"),          # a length, not a duration
    ("How long did the siege last?", "duration"),
])
def test_what_a_question_asks_for(question, kind):
    assert kinds.asked(question) == kind


@pytest.mark.parametrize("sentence, kind, gives", [
    ("新加坡的电力短缺问题持续了15年", "duration", True),
    ("新加坡的电力短缺问题持续了15年", "count", False),        # 15 years is not a number of data centers
    ("拥有超过50万个GPU", "count", True),
    ("拥有超过50万个GPU", "money", False),
    ("另有20万到30万台可能通过其他途径送达", "count", True),
    ("一张3-5千美元的头等舱机票", "money", True),
    ("华为在2018年遭禁后", "year", True),
    ("20万到30万台可能通过其他途径送达", "date", False),
    ("H20s may have reached China by other routes", "date", False),   # may, the verb
    ("新规允许每次不超过2000颗GPU", "date", False),           # 2000 GPUs, not the year 2000
    ("Google的第二大客户", "rank", True),
    ("ByteDance has over 500,000 GPUs", "count", True),
    ("Pu'er tea is fermented for up to fifteen years", "duration", True),
    ("a ticket costs three thousand dollars", "money", True),
    ("华为在2018年遭禁后", "number", False),               # a year is no answer to how many
    ("Google的第二大客户", "number", False),               # nor is an ordinal
    ("任何句子", None, True),
    # years in every era and format
    ("William landed in 1066.", "year", True),
    ("崇宁五年，朱椿去世", "year", True),
    ("孔子生于公元前551年", "year", True),
    ("这座寺庙建于12世纪", "year", True),
    ("上世纪八十年代开始繁殖", "year", True),
    ("the 1990s saw a decline", "year", True),
    ("持续了15年", "year", False),
    ("他的母亲是王氏", "person", True),
    ("中华鲟分布于长江", "place", True),
])
def test_whether_a_sentence_gives_it(sentence, kind, gives):
    assert kinds.gives(sentence, kind) is gives
