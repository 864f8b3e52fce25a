"""Secret scrubbing for captured content, applied before anything leaves the process.

Two kinds of match (REFERENCE.md §7; the word list is Logfire's):

* **Keys.** A mapping key or parameter name matching :data:`DEFAULT_KEY_PATTERNS` (or an
  ``extra_scrub_patterns`` regex) has its whole value replaced by ``[scrubbed: <match>]``.
* **Values.** Inside string values only the secret-looking *fragment* is replaced: an
  assignment of a sensitive word (``password=hunter2``, ``"api_key": "sk-…"``), an HTTP
  ``Bearer``/``Basic`` credential, a well-known token shape (OpenAI/Anthropic ``sk-`` keys,
  JWTs, AWS access key ids, GitHub tokens), or any ``extra_scrub_patterns`` match. Replacing the
  whole string on a bare word would wipe every prompt that mentions "session" or "password",
  which for an LLM tracer means losing the content people came to see.

The user's ``redact`` hook runs after scrubbing (see :mod:`chainsight.capture`).
"""

from __future__ import annotations

import re
from typing import Any

from .config import Config

DEFAULT_KEY_PATTERNS: tuple[str, ...] = (
    "password",
    "passwd",
    "mysql_pwd",
    "secret",
    r"auth(?!ors?\b)",
    "credential",
    r"private[._ -]?key",
    r"api[._ -]?key",
    "session",
    "cookie",
    r"social[._ -]?security",
    r"credit[._ -]?card",
    r"(?:\b|_)csrf(?:\b|_)",
    r"(?:\b|_)xsrf(?:\b|_)",
    r"(?:\b|_)jwt(?:\b|_)",
    r"(?:\b|_)ssn(?:\b|_)",
)
"""Key patterns (case-insensitive, searched anywhere in the key), Logfire's default list."""

_SENSITIVE_WORD = (
    r"password|passwd|secret|api[._ -]?key|private[._ -]?key|access[._ -]?token"
    r"|auth[._ -]?token|refresh[._ -]?token|client[._ -]?secret|credential|cookie|csrf|xsrf|jwt"
)
ASSIGNMENT_PATTERN = rf"""({_SENSITIVE_WORD})(["']?\s*[:=]\s*["']?)[^\s"',;&}}]+"""
"""``password=hunter2``, ``api_key: abc``, ``"client_secret": "abc"``: the word and the
separator are kept, the value is replaced."""
DEFAULT_VALUE_PATTERNS: tuple[str, ...] = (
    r"(?<=Bearer )[A-Za-z0-9._~+/=-]{8,}",
    r"(?<=Basic )[A-Za-z0-9+/=]{8,}",
    r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}",
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",
)
"""Secret-looking fragments replaced inside string values."""

ASSIGNMENT_TRIGGERS: tuple[str, ...] = (
    "pass",
    "secret",
    "key",
    "token",
    "credential",
    "cookie",
    "csrf",
    "xsrf",
    "jwt",
)
"""Lower-case substrings one of which :data:`ASSIGNMENT_PATTERN` needs; it also needs a ``:``
or ``=``, so a text without either skips these scans."""
VALUE_TRIGGERS: tuple[str, ...] = ("bearer ", "basic ", "akia")
"""Lower-case substrings one of which the Bearer, Basic and AWS patterns of
:data:`DEFAULT_VALUE_PATTERNS` need."""
GATED_TRIGGERS: tuple[tuple[str, str], ...] = (("-", "sk-"), ("j", "eyj"))
"""(character, substring) pairs for the key and JWT patterns: the substring is scanned for
only when the character occurs, which one ``memchr`` answers for most texts."""
GITHUB_TRIGGERS: tuple[str, ...] = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")
"""What the GitHub token pattern needs; scanned only when the text has a ``_``."""

KEY_CACHE_SIZE = 4096
"""Distinct keys whose verdict is remembered (parameter and field names repeat endlessly)."""

SHORT_TEXT = 64
"""Strings up to this length have their scrubbed form cached: roles, models, finish reasons
and ids repeat in every response."""

VALUE_REPLACEMENT = "[scrubbed]"
"""What a secret fragment inside a string becomes."""


class Scrubber:
    """Compiled key and value patterns for one configuration."""

    __slots__ = (
        "_always",
        "_assignment",
        "_key",
        "_keys",
        "_short",
        "_value",
        "clean_keys",
        "clean_texts",
    )

    def __init__(self, extra_patterns: tuple[str, ...] = ()) -> None:
        self._always = bool(extra_patterns)  # user patterns cannot be prefiltered
        self._keys: dict[str, str | None] = {}
        self._short: dict[str, str] = {}
        self.clean_keys: set[str] = set()
        """Keys already found to name no secret: a set test inline is cheaper than a call."""
        self.clean_texts: set[str] = set()
        """Short strings already found to hold no secret (see ``clean_keys``)."""
        self._key = re.compile("|".join((*DEFAULT_KEY_PATTERNS, *extra_patterns)), re.IGNORECASE)
        self._assignment = re.compile(ASSIGNMENT_PATTERN, re.IGNORECASE)
        self._value = re.compile(
            "|".join(f"(?:{p})" for p in (*DEFAULT_VALUE_PATTERNS, *extra_patterns)),
            re.IGNORECASE,
        )

    def key_replacement(self, key: str) -> str | None:
        """``[scrubbed: <match>]`` when ``key`` names a secret, else None."""
        try:
            return self._keys[key]
        except KeyError:
            pass
        match = self._key.search(key)
        verdict = None if match is None else f"[scrubbed: {match.group(0).lower()!r}]"
        if len(self._keys) < KEY_CACHE_SIZE:
            self._keys[key] = verdict
            if verdict is None:
                self.clean_keys.add(key)
        return verdict

    def value(self, text: str) -> str:
        """``text`` with every secret-looking fragment replaced."""
        if len(text) <= SHORT_TEXT:
            try:
                return self._short[text]
            except KeyError:
                pass
            scrubbed = self._scrub(text)
            if len(self._short) < KEY_CACHE_SIZE:
                self._short[text] = scrubbed
                if scrubbed == text:
                    self.clean_texts.add(text)
            return scrubbed
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        if not self._always and not _triggered(text.lower()):
            return text
        text = self._assignment.sub(_ASSIGNMENT_REPLACEMENT, text)
        return self._value.sub(VALUE_REPLACEMENT, text)


_ASSIGNMENT_REPLACEMENT = r"\1\2" + VALUE_REPLACEMENT


def _triggered(lowered: str) -> bool:
    """Whether a default value pattern or the assignment pattern could match ``lowered``.

    A string for which this is False has nothing the default patterns replace (a test checks
    it against the regexes on generated texts). One substring search per trigger:
    ``str.__contains__`` scans at C speed, about twice as fast over a streamed answer
    (800-1,300 characters, measured) as the same words joined into one regex alternation,
    which Python's ``re`` tries branch by branch at each position. Each scan also has a fixed
    cost (~90 ns on a 110-character text), so the scans a text cannot need are skipped: the
    assignment words without a ``:`` or ``=``, the GitHub prefixes without a ``_``, ``sk-``
    without a ``-`` and ``eyj`` without a ``j`` (a one-character test is a ``memchr``; over a
    1,200-character answer the scans went from 3.8 to 2.7 µs).
    """
    for trigger in VALUE_TRIGGERS:
        if trigger in lowered:
            return True
    for char, trigger in GATED_TRIGGERS:
        if char in lowered and trigger in lowered:
            return True
    if "_" in lowered:
        for trigger in GITHUB_TRIGGERS:
            if trigger in lowered:
                return True
    if ":" in lowered or "=" in lowered:
        for trigger in ASSIGNMENT_TRIGGERS:
            if trigger in lowered:
                return True
    return False


class _ScrubberCache:
    """One-slot cache: configurations change only on ``init()``."""

    __slots__ = ("config", "key", "result", "scrubber")

    def __init__(self) -> None:
        self.key: tuple[str, ...] | None = None
        self.scrubber: Scrubber | None = None
        self.config: Any = None
        self.result: Scrubber | None = None

    def get(self, config: Any) -> Scrubber | None:
        # Called twice per captured call; a Config is frozen, so the same object gets the same
        # answer without re-reading its fields.
        if config is self.config:
            return self.result
        result = self._resolve(config)
        if type(config) is Config:  # stand-ins (tests pass any object) are re-read each time
            self.config, self.result = config, result
        return result

    def _resolve(self, config: Any) -> Scrubber | None:
        if not getattr(config, "scrub", True):
            return None
        extra = tuple(getattr(config, "extra_scrub_patterns", ()))
        if self.scrubber is None or self.key != extra:
            self.scrubber = Scrubber(extra)
            self.key = extra
        return self.scrubber


_CACHE = _ScrubberCache()


def scrubber_for(config: Any) -> Scrubber | None:
    """The compiled scrubber for ``config`` (None when ``config.scrub`` is false)."""
    return _CACHE.get(config)
