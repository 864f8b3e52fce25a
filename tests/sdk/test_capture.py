"""Capture of inputs and outputs: JSON-safe, capped, scrubbed, redacted, switchable."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

import chainsight
from chainsight import capture, semconv
from chainsight.scrubbing import Scrubber
from chainsight.testing import CapturedSpans


def encoded(value: object, max_bytes: int = 16384, scrub: bool = True) -> Any:
    text, mime = capture.encode(
        value,
        path="output",
        max_bytes=max_bytes,
        scrubber=Scrubber() if scrub else None,
        redact=None,
    )
    return json.loads(text) if mime == capture.JSON_MIME else text


class Order(BaseModel):
    id: str
    amount: float


@dataclasses.dataclass
class Doc:
    id: int
    tags: set[str]


class Color(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Order(id="A-1", amount=9.5), {"id": "A-1", "amount": 9.5}),
        (Doc(1, {"b", "a"}), {"id": 1, "tags": ["a", "b"]}),
        (np.arange(3), [0, 1, 2]),
        (np.float32(1.5), 1.5),
        ({3, 1, 2}, [1, 2, 3]),
        (frozenset({"x"}), ["x"]),
        (b"hello", "hello"),
        (b"\xff\x00", "<2 bytes>"),
        (Color.RED, "red"),
        (datetime.date(2026, 1, 2), "2026-01-02"),
        ((1, "a", None, True), [1, "a", None, True]),
        (float("inf"), "inf"),
        ({1: "int key"}, {"1": "int key"}),
    ],
    ids=[
        "pydantic",
        "dataclass",
        "numpy-array",
        "numpy-scalar",
        "set",
        "frozenset",
        "utf8-bytes",
        "binary-bytes",
        "enum",
        "date",
        "tuple",
        "infinity",
        "non-str-key",
    ],
)
def test_values_become_json(value: object, expected: object) -> None:
    """Common Python and library types become plain JSON."""
    assert encoded(value) == expected


def test_cycles_are_marked_not_followed() -> None:
    """A self-referencing structure encodes with a <cycle> marker."""
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop
    assert encoded(loop) == {"name": "loop", "self": "<cycle>"}


def test_large_numpy_array_is_summarised() -> None:
    """Big arrays show shape, dtype and a head instead of every element."""
    summary = encoded(np.zeros((100, 100)))
    assert summary["<ndarray>"] == {"shape": [100, 100], "dtype": "float64"}
    assert len(summary["head"]) == 16


def test_huge_values_are_capped_with_a_visible_marker() -> None:
    """Each value is cut at max_bytes and says so, with the original size."""
    text = encoded("x" * 100_000, max_bytes=1000)
    assert len(text.encode()) <= 1000
    assert text.endswith("...[truncated by chainsight: 100000 chars]")


def test_huge_containers_stop_early_and_are_capped() -> None:
    """A list of a million items is bounded in size and marked as cut."""
    text, _ = capture.encode(
        list(range(1_000_000)), path="output", max_bytes=2000, scrubber=None, redact=None
    )
    assert len(text.encode()) <= 2000
    assert "more items" in text


def test_multibyte_text_is_cut_on_a_character_boundary() -> None:
    """Truncation never splits a UTF-8 character."""
    text = encoded("é" * 10_000, max_bytes=500)
    assert len(text.encode()) <= 500
    assert text.startswith("é")


def test_broken_repr_and_broken_model_dump_never_raise() -> None:
    """User objects that fail to describe themselves are named by type instead."""

    class BadRepr:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    class BadDump:
        def model_dump(self) -> dict[str, Any]:
            raise RuntimeError("no")

    assert encoded([BadRepr(), BadDump()]) == [
        "<unrepresentable BadRepr>",
        "<unserializable BadDump>",
    ]


def test_iterators_are_not_consumed() -> None:
    """Capturing a generator argument must not drain it for the function."""
    items = (i for i in range(3))
    encoded({"items": items})
    assert list(items) == [0, 1, 2]


def test_secret_keys_are_scrubbed_at_any_depth() -> None:
    """Mapping keys that name secrets hide their values, nested or not."""
    value = {"user": "ann", "auth": {"api_key": "k", "password": "p"}, "authors": ["x"]}
    out = encoded(value)
    assert out["user"] == "ann"
    assert out["auth"] == "[scrubbed: 'auth']"
    assert out["authors"] == ["x"]


def test_secret_values_are_scrubbed_inside_text() -> None:
    """Token shapes and key=value assignments inside strings are replaced."""
    text = encoded(
        "use sk-proj-abcdefghijklmnopqrstuvwx with password=hunter2 and Bearer abc.def.ghijkl"
    )
    assert "sk-proj" not in text and "hunter2" not in text and "abc.def" not in text
    assert "password=[scrubbed]" in text


def test_ordinary_prose_mentioning_secrets_is_kept() -> None:
    """A prompt about passwords is content, not a secret."""
    assert encoded("How do I reset my password?") == "How do I reset my password?"


def test_scrubbing_can_be_turned_off() -> None:
    """With scrubbing off, keys and values pass through."""
    assert encoded({"password": "p"}, scrub=False) == {"password": "p"}


def test_extra_scrub_patterns_apply_to_keys_and_values() -> None:
    """User patterns scrub matching keys and matching fragments in text."""
    scrubber = Scrubber((r"employee[_-]?id", r"EMP-\d+"))
    text, _ = capture.encode(
        {"employee_id": 7, "note": "see EMP-1234"},
        path="output",
        max_bytes=1000,
        scrubber=scrubber,
        redact=None,
    )
    assert json.loads(text) == {
        "employee_id": "[scrubbed: 'employee_id']",
        "note": "see [scrubbed]",
    }


def test_input_is_bound_by_parameter_name(capture_spans: CapturedSpans) -> None:
    """Positional, keyword, default-free and *args arguments are captured by name."""

    @chainsight.trace(name="f")
    def f(a: int, b: str, *rest: int, **extra: Any) -> None:
        return None

    f(1, "x", 5, 6, flag=True)
    captured = json.loads(capture_spans.by_name("f").attributes[semconv.INPUT_VALUE])
    assert captured == {"a": 1, "b": "x", "rest": [5, 6], "flag": True}


def test_secret_parameters_are_scrubbed_in_the_input(capture_spans: CapturedSpans) -> None:
    """A parameter named api_key never leaves the process."""

    @chainsight.llm(name="f")
    def f(prompt: str, api_key: str) -> str:
        return "ok"

    f("hi", api_key="sk-live-secret-value-1234567890")
    raw = capture_spans.by_name("f").attributes[semconv.INPUT_VALUE]
    assert "secret-value" not in raw
    assert json.loads(raw) == {"prompt": "hi", "api_key": "[scrubbed: 'api_key']"}


def test_redact_hook_sees_each_value_and_its_path(capture_spans: CapturedSpans) -> None:
    """The user hook runs on every captured value before it is exported."""
    seen: list[str] = []

    def redact(path: str, value: object) -> object:
        seen.append(path)
        return "<email>" if isinstance(value, str) and "@" in value else value

    capture_spans.configure(redact=redact)

    @chainsight.trace(name="f")
    def f(email: str, n: int) -> str:
        return "mail ann@example.com"

    f("ann@example.com", 2)
    span = capture_spans.by_name("f")
    assert json.loads(span.attributes[semconv.INPUT_VALUE]) == {"email": "<email>", "n": 2}
    assert span.attributes[semconv.OUTPUT_VALUE] == "<email>"
    assert seen == ["input.email", "input.n", "output"]


def test_capture_off_globally_records_neither(capture_spans: CapturedSpans) -> None:
    """capture_content=False (CHAINSIGHT_CAPTURE_CONTENT=false) hides inputs and outputs."""
    capture_spans.configure(capture_content=False)
    chainsight.trace(name="f")(lambda q: q.upper())("hi")
    attrs = capture_spans.by_name("f").attributes
    assert semconv.INPUT_VALUE not in attrs
    assert semconv.OUTPUT_VALUE not in attrs


def test_capture_off_globally_also_hides_set_output(capture_spans: CapturedSpans) -> None:
    """The global switch wins over explicit set_input/set_output calls."""
    capture_spans.configure(capture_content=False)
    with chainsight.span("s") as s:
        s.set_input("secret prompt")
        s.set_output("secret answer")
    attrs = capture_spans.by_name("s").attributes
    assert semconv.INPUT_VALUE not in attrs and semconv.OUTPUT_VALUE not in attrs


@pytest.mark.parametrize(
    ("options", "has_input", "has_output"),
    [
        ({"capture_input": False}, False, True),
        ({"capture_output": False}, True, False),
        ({"capture_input": False, "capture_output": False}, False, False),
    ],
)
def test_capture_can_be_switched_off_per_step(
    capture_spans: CapturedSpans, options: dict[str, bool], has_input: bool, has_output: bool
) -> None:
    """capture_input=/capture_output= on the decorator control that step only."""
    chainsight.trace(name="f", **options)(lambda q: q.upper())("hi")
    attrs = capture_spans.by_name("f").attributes
    assert (semconv.INPUT_VALUE in attrs, semconv.OUTPUT_VALUE in attrs) == (has_input, has_output)


def test_max_value_bytes_caps_captured_attributes(capture_spans: CapturedSpans) -> None:
    """The configured cap applies to inputs and outputs on real spans."""
    capture_spans.configure(max_value_bytes=256)
    chainsight.trace(name="f")(lambda text: text)("y" * 5000)
    attrs = capture_spans.by_name("f").attributes
    for key in (semconv.INPUT_VALUE, semconv.OUTPUT_VALUE):
        assert len(attrs[key].encode()) <= 256
        assert "truncated by chainsight" in attrs[key]


def test_hide_inputs_keeps_outputs(capture_spans: CapturedSpans) -> None:
    """OPENINFERENCE_HIDE_INPUTS (config hide_inputs) drops inputs but keeps outputs."""
    capture_spans.configure(hide_inputs=True)
    chainsight.trace(name="f")(lambda q: q.upper())("hi")
    attrs = capture_spans.by_name("f").attributes
    assert semconv.INPUT_VALUE not in attrs
    assert attrs[semconv.OUTPUT_VALUE] == "HI"


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON-like value mixing the fast path's shapes with everything that must leave it."""
    leaves: list[Callable[[], Any]] = [
        lambda: rng.choice(["", "hi", "how do I reset my password?", "naïve ✓", 'a\nb"c\\']),
        lambda: rng.choice(["Bearer abcdefgh1234", "password=hunter2", "sk-" + "a" * 20]),
        lambda: "x" * rng.choice([10, 60, 200, 5000]),
        lambda: rng.choice([0, -7, 10**30, True, False, None]),
        lambda: rng.choice([0.0, 1.5, -2e-9, float("nan"), float("inf")]),
        lambda: rng.choice([Color.RED, b"raw", {1, 2}, datetime.date(2026, 1, 2)]),
    ]
    if depth > 18 or rng.random() < 0.3 + depth / 10:
        return rng.choice(leaves)()
    if rng.random() < 0.03:  # deep nesting (past MAX_DEPTH) and long lists (past MAX_ITEMS)
        return [_random_value(rng, 0)] if depth == 0 else [[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]
    if rng.random() < 0.05:  # homogeneous lists: the byte budget's worst cases, MAX_ITEMS
        size = rng.choice([1000, 1001]) if rng.random() < 0.3 else rng.randint(1, 30)
        return [rng.choice([1, 0.5, "s", None])] * size
    size = rng.randint(0, 4)
    if rng.random() < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(size)]
    keys: list[Any] = ["id", "content", "api_key", "authors", "session_id", "k", "", "tokens"]
    keys += [1, True, None, 2.5]
    out = {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(size)}
    return tuple(out.values()) if rng.random() < 0.1 else out


def _identity(path: str, value: object) -> object:
    return value


@pytest.mark.parametrize("scrub", [True, False], ids=["scrub", "no-scrub"])
def test_fast_path_encodes_exactly_like_the_walk(scrub: bool) -> None:
    """Plain values skip the walk; the text is the one the walk (forced by a hook) gives."""
    rng = random.Random(7)
    scrubber = Scrubber() if scrub else None
    fast = 0
    for _ in range(3000):
        value = _random_value(rng)
        max_bytes = rng.choice([64, 65, 100, 257, 1000, 16384])
        options: dict[str, Any] = {"max_bytes": max_bytes, "scrubber": scrubber}
        walked = capture.encode(value, path="output", redact=_identity, **options)
        assert capture.encode(value, path="output", redact=None, **options) == walked
        if type(value) is dict:
            arguments = {str(k): v for k, v in value.items()}
            expected = capture.encode_arguments(arguments, redact=_identity, **options)
            assert capture.encode_arguments(arguments, redact=None, **options) == expected
        fast += capture._plain_json(value, max_bytes, scrubber) is not None
    assert fast > 300  # the generator does reach the fast path


_SECRET_SHAPES = (
    "password={w}",
    "PassWd: '{w}'",
    '"client_secret": "{w}"',
    "api-key = {w}",
    "Access_Token:{w}",
    "refresh token= {w}",
    "Cookie: {w}",
    "csrf={w}",
    "JWT : {w}",
    "credential={w}",
    "Authorization: Bearer abcdefgh{w}",
    "BASIC QWxhZGRpbjpvcGVu{w}",
    "sk-proj-{w}{w}{w}",
    "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.{w}",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a1" * 18,
    "GHS_" + "Zz9" * 11,
    "key{w}",
    "token {w} : none",
)


def test_value_prefilter_never_skips_a_match() -> None:
    """The substring prefilter in front of the value regexes only skips texts they leave alone.

    Texts mix prose, separators and every secret shape (in any case), with and without the
    ``:``/``=``/``_`` the prefilter keys on; each must scrub exactly like the regexes applied
    unconditionally.
    """
    scrubber = Scrubber()
    unconditional = Scrubber(("(?!x)x",))  # a user pattern turns the prefilter off
    rng = random.Random(11)
    words = ["the", "answer", "Tok", "pass", "KEY", "secret", "_", ":", "=", "-", "sk", "eyJ"]
    for _ in range(4000):
        parts = [rng.choice(words) for _ in range(rng.randrange(0, 12))]
        for _ in range(rng.randrange(0, 3)):
            word = "".join(rng.choice("abcXYZ0123456789") for _ in range(rng.randrange(1, 20)))
            shape = rng.choice(_SECRET_SHAPES).format(w=word)
            parts.insert(
                rng.randrange(len(parts) + 1), shape.upper() if rng.random() < 0.2 else shape
            )
        text = rng.choice([" ", "", "\n", ", "]).join(parts)
        assert scrubber.value(text) == unconditional.value(text), text
