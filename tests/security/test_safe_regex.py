"""Operator-supplied regexes are bounded before they are compiled (libs/safe_regex.py, auto-reply rules)."""

import resource
import time

import pytest

from libs.safe_regex import PatternRefused, check_pattern
from libs.validation import ValueInvalid
from wechat.autoreply import validate

REFUSED = [
    ("a{10000000}", "above 1000"),  # 2.7 GB and 3.5 s to compile before the check
    ("a{99999999999999999999}", "too large"),
    ("a{0,1001}", "above 1000"),
    ("a{1001,}", "above 1000"),
    (r"\p{Han}{2000}", "above 1000"),
    ("(?:a{1000}){1000}", "multiply beyond 1000"),  # 0.4 s to compile
    ("((a{20}){20}){20}", "multiply beyond 1000"),
    ("(?P<x>a)(?(x)b{2000}|c)", "above 1000"),
    ("(?<=x)(?:y{5000})", "above 1000"),
    ("(a+)+$", "repeat of a repeat"),
    ("(?:a*b*)*c", "repeat of a repeat"),
    (r"^(\s*\w+)*$", "repeat of a repeat"),
    ("((a?){2,9})+", "repeat of a repeat"),
    ("a" * 501, "longer than 500"),
    ("(", "not a supported"),
    ("(?e)(?:abc){e<=2}", "not a supported"),  # fuzzy matching: cost not boundable by a parse
]

ACCEPTED = [r"^订单\d+$", "a{1000}", "x{1000,}", "(a{30}){30}", r"(\d+,)+\d+", r"\p{Han}+", r"^(?:hi|hello)\s+bot",
            "(a+){2}", "[a{99999}]", r"(?i)价格|price"]


@pytest.mark.parametrize("pattern, reason", REFUSED)
def test_refused_patterns_never_reach_the_compiler(pattern, reason):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    with pytest.raises(PatternRefused, match=reason):
        check_pattern(pattern)
    assert time.process_time() - started < 0.05
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20_000  # KiB: no big compile happened


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_ordinary_patterns_are_accepted(pattern):
    assert check_pattern(pattern).search is not None


def test_compile_time_budget():
    with pytest.raises(PatternRefused, match="to compile"):
        check_pattern("(?:a|b|c){1000}" * 30 + "(?:d{30}){30}" * 5, budget=0.0, max_length=10_000)


@pytest.mark.parametrize("pattern, _", REFUSED)
def test_autoreply_validation_answers_the_field(pattern, _):
    with pytest.raises(ValueInvalid) as caught:
        validate({"mode": "regex", "pattern": pattern, "reply": "x"})
    assert caught.value.field == "pattern"

