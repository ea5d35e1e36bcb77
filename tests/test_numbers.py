"""bot.numbers: every notation of a quantity reads as the same value."""
import pytest

from bot.numbers import find_numbers, same_quantity


def values(text):
    return [(n.value, n.high) for n in find_numbers(text)]


@pytest.mark.parametrize("text", ["八十万", "80万", "80萬", "捌拾万", "800,000", "800k", "800 thousand", "800000", "８０万", "eight hundred thousand"])
def test_eight_hundred_thousand_in_every_notation(text):
    (number,) = find_numbers(text)
    assert number.value == number.high == 800_000
    assert same_quantity(number, find_numbers("800,000")[0])


@pytest.mark.parametrize("text, value, high", [
    ("一张3-5千美元的机票", 3000, 5000), ("3,000–5,000 dollars", 3000, 5000), ("20万到30万台", 200_000, 300_000),
    ("1.5亿", 150_000_000, 150_000_000), ("两千三百", 2300, 2300), ("一亿五千万", 150_000_000, 150_000_000),
    ("7,000 GPUs", 7000, 7000), ("1.8 trillion", 1.8e12, 1.8e12), ("over half a million GPUs", 500_000, 500_000),
    ("twenty-five", 25, 25), ("持续了15年", 15, 15),
])
def test_values_and_ranges(text, value, high):
    (number,) = find_numbers(text)
    assert (number.value, number.high) == (value, high)


def test_a_trailing_full_stop_is_not_a_decimal_point_and_years_are_marked():
    (n,) = find_numbers("The Normans conquered England in 1066.")
    assert n.value == 1066 and n.year and n.text == "1066"
    assert find_numbers("华为在2018年遭禁")[0].year


def test_percentages_only_match_percentages():
    a, b, c = find_numbers("50% 百分之五十 50")
    assert a.percent and b.percent and not c.percent
    assert same_quantity(a, b) and not same_quantity(a, c)


def test_ranges_match_only_the_same_range():
    r1, = find_numbers("3-5千")
    r2, = find_numbers("3,000 to 5,000")
    single, = find_numbers("5000")
    assert same_quantity(r1, r2) and not same_quantity(r1, single)


@pytest.mark.parametrize("text", ["H100和H20", "GPT-4", "一个乘客", "一大批公司", "十分重要", "万一失败", "千万不要", "统一市场", "one of them", "百度", "千克"])
def test_names_and_words_are_not_quantities(text):
    assert find_numbers(text) == []


def test_spans_point_into_the_original_text():
    text = "字节跳动拥有超过５０万个GPU，价值1.5亿美元。"
    for n in find_numbers(text):
        assert text[n.start:n.end] == n.text
    assert [n.text for n in find_numbers(text)] == ["５０万", "1.5亿"]


@pytest.mark.parametrize("text", ["9月2日", "九月二日", "2 September", "September 2nd", "2nd of September"])
def test_dates_in_both_languages(text):
    (n,) = find_numbers(text)
    assert n.date and n.value == 902
    assert not same_quantity(n, find_numbers("902")[0])


def test_a_month_alone_and_may_only_with_a_day():
    assert [(n.value, n.date) for n in find_numbers("3月 and March")] == [(3, True), (3, True)]
    assert find_numbers("May I ask?") == [] and find_numbers("May 4th")[0].value == 504
