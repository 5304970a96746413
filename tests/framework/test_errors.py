"""`printable`: what a message may quote from data or the file system; `did_you_mean`: the one
wording of a suggestion."""

from __future__ import annotations

import pytest

from framework.errors import did_you_mean, printable


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ESC (C0)
    ("a\x00b\x7fc", "a\\x00b\\x7fc"),  # NUL, DEL
    ("\x9b2J", "\\x9b2J"),  # CSI as one C1 character
    ("line\nbreak\ttab\r", "line\\x0abreak\\x09tab\\x0d"),
    ("abc\u202edcba\u2066x\u200f", "abc\\u202edcba\\u2066x\\u200f"),  # bidi overrides, marks
    ("\ud800", "\\ud800"),  # a lone surrogate
    ("\U000e0041", "\\U000e0041"),  # a tag character (invisible)
])
def test_printable_escapes_what_a_terminal_would_act_on(raw, shown):
    assert printable(raw) == shown


def test_printable_keeps_ordinary_unicode_and_non_strings():
    assert printable("Müller, José Ñandú, 東京, emoji 😀, a\\b \"q\"") == \
        "Müller, José Ñandú, 東京, emoji 😀, a\\b \"q\""
    assert printable(42) == "42"


def test_a_failure_quoting_row_data_is_shown_escaped_in_the_run_error():
    from framework.runtime.executor import _short

    shown = _short(ValueError("[CAST_INVALID_INPUT] The value '\x1b]0;pwned\x07\x1b[2J' of the "
                              "type \"STRING\" cannot be cast"))
    assert "\x1b" not in shown and "\x07" not in shown
    assert "'\\x1b]0;pwned\\x07\\x1b[2J'" in shown


def test_a_stack_trace_s_tabs_stay_spaces_in_the_run_error():
    from framework.runtime.executor import _short

    shown = _short(RuntimeError("An error occurred\n\tat org.apache.spark.Foo(Foo.scala:1)"))
    assert shown == "RuntimeError: An error occurred  at org.apache.spark.Foo(Foo.scala:1)"


@pytest.mark.parametrize(("word", "kwargs", "said"), [
    ("ordrs", {"hint": "inputs name a step"}, "did you mean 'orders'? inputs name a step"),
    ("zzz", {"hint": "inputs name a step"}, "inputs name a step"),
    ("ordrs", {"otherwise": "columns are: orders, users"}, "did you mean 'orders'?"),
    ("zzz", {"otherwise": "columns are: orders, users"}, "columns are: orders, users"),
    ("ordrs", {"shown": lambda c: f"ref({c!r})"}, "did you mean ref('orders')?"),
    ("zzz", {}, ""),
])
def test_did_you_mean_guesses_then_hints_or_says_otherwise(word, kwargs, said):
    assert did_you_mean(word, ["orders", "users"], **kwargs) == said
