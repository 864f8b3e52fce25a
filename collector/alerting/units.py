"""Quantities in rules: durations ("5m", "200ms"), percentages ("5%"), money ("$20") and
plain numbers.

Thresholds are converted to the unit the metric is served in (``MetricPoint``): durations
to milliseconds (latency, TTFT and TPOT are ``*_ms``), percentages to fractions (error rate
is 0..1), money to USD. A unit that does not fit the metric is an error, not a guess.

>>> parse_duration("5m")
300.0
>>> parse_quantity("5s", "duration")
5000.0
>>> parse_quantity("5%", "fraction")
0.05
"""

from __future__ import annotations

import math
import re
from typing import Literal

Unit = Literal["duration", "fraction", "money", "count", "rate", "score"]
"""What a metric's values measure; decides which threshold spellings are accepted."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_COMPOUND = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


class UnitError(ValueError):
    """A quantity that cannot be read, or whose unit does not fit the metric."""


def parse_duration(value: str | float | int) -> float:
    """Seconds from ``"90s"``, ``"5m"``, ``"1h30m"``, ``"250ms"`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise UnitError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower()
        match = _DURATION.match(text)
        if match is not None:
            seconds = float(match.group(1)) * _SECONDS[match.group(2) or "s"]
        elif text and _COMPOUND.sub("", text) == "":
            seconds = sum(float(n) * _SECONDS[u] for n, u in _COMPOUND.findall(text))
        else:
            raise UnitError(f"not a duration: {value!r} (use e.g. 30s, 5m, 1h, 250ms)")
    if not math.isfinite(seconds) or seconds < 0:
        raise UnitError(f"duration must be a non-negative finite number: {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: ``300 -> "5m"``, ``0.2 -> "200ms"``."""
    if seconds == 0:
        return "0s"
    for suffix in ("w", "d", "h", "m", "s"):
        size = _SECONDS[suffix]
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{suffix}"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"


def parse_quantity(value: str | float | int, unit: Unit) -> float:
    """A threshold in the metric's serving unit (ms, fraction, USD, plain).

    A bare number is taken as already in that unit (``200`` for TPOT means 200 ms).
    """
    if isinstance(value, bool):
        raise UnitError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = value.strip()
        if text.endswith("%"):
            if unit not in ("fraction", "score"):
                raise UnitError(f"{value!r}: a percentage fits only rates such as error_rate")
            number = _number(text[:-1], value) / 100.0
        elif text.startswith("$"):
            if unit != "money":
                raise UnitError(f"{value!r}: money fits only the cost metric")
            number = _number(text[1:].replace(",", ""), value)
        elif re.fullmatch(r"[\d.]+\s*[a-zA-Z]+", text) and not _is_number(text):
            if unit != "duration":
                raise UnitError(f"{value!r}: a duration fits only latency, ttft and tpot")
            number = parse_duration(text) * 1000.0
        else:
            number = _number(text, value)
    if not math.isfinite(number):
        raise UnitError(f"threshold must be finite: {value!r}")
    return number


def format_quantity(value: float | None, unit: Unit) -> str:
    """A human spelling of a metric value for messages (``5000 ms -> "5s"``)."""
    if value is None:
        return "no data"
    if unit == "duration":
        if abs(value) >= 1000:
            return f"{value / 1000:.3g}s"
        return f"{value:.3g}ms"
    if unit == "fraction":
        return f"{value * 100:.3g}%"
    if unit == "money":
        return f"${value:,.2f}" if abs(value) >= 0.01 else f"${value:.4g}"
    return f"{value:.4g}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(text: str, original: object) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise UnitError(f"not a number: {original!r}") from None
