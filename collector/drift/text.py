"""Text as something drift can measure, without a model download.

Each text becomes a hashed bag of word unigrams and bigrams plus character 3-grams inside
words (the "hashing trick": a fixed number of dimensions, no vocabulary to fit or store),
L2-normalized so long prompts do not outweigh short ones. A window's centroid is the mean
of its vectors; two windows are compared by the cosine distance of their centroids, and
explained by the words whose average weight moved most.

Whether a distance is large is judged against chance: the same distance is computed for
random re-splits of the pooled texts (a permutation test), so small samples, whose
centroids wobble more, need a larger distance to count as drift.

Language is a categorical feature: the dominant Unicode script of the text, and for Latin
text a guess among a few languages by stopword hits. Good enough to notice "inputs
switched from English to Spanish", not a language identifier.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .stats import FloatArray

DIMENSIONS = 1024
"""Hashed dimensions. Collisions blur, they do not hide, a shift: a topic change moves
hundreds of grams at once. 1024 keeps a 2x2000-text matrix at 16 MB."""
MAX_CHARS = 2000
"""Characters of each text vectorized: vectorizing is Python work (~30 µs per text)."""
PERMUTATIONS = 40

_WORD = re.compile(r"\w+", re.UNICODE)
_CONTENT_KEYS = ("content", "text", "value", "query", "question", "prompt", "input")


def plain_text(value: object) -> str:
    """The human text inside a stored input/output: the strings under content-like keys of
    a JSON message list, else the value itself."""
    if value is None:
        return ""
    text = str(value)
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "[{":
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    parts: list[str] = []
    _collect(parsed, parts, top=True)
    return " ".join(parts) if parts else text


def _collect(node: object, out: list[str], top: bool = False) -> None:
    if isinstance(node, str):
        if top:
            out.append(node)
        return
    if isinstance(node, list):
        for item in node:
            _collect(item, out, top=top)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and key in _CONTENT_KEYS:
                out.append(value)
            elif isinstance(value, list | dict):
                _collect(value, out)


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text[:MAX_CHARS].lower())


def grams(tokens: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams, and character 3-grams of each word (padded)."""
    out = list(tokens)
    out += [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
    for w in tokens:
        padded = f"<{w}>"
        out += ["#" + padded[i : i + 3] for i in range(len(padded) - 2)]
    return out


class Hasher:
    """Gram → dimension, memoized (crc32 is stable across processes, unlike ``hash``).

    Words repeat across a window's texts, so each word's unigram and character 3-grams are
    hashed once and cached as a list of dimensions: profiling a 2x1000-text report showed
    per-gram hashing as 60% of its time."""

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions
        self._cache: dict[str, int] = {}
        self._words: dict[str, list[int]] = {}

    def index(self, gram: str) -> int:
        found = self._cache.get(gram)
        if found is None:
            found = zlib.crc32(gram.encode()) % self.dimensions
            self._cache[gram] = found
        return found

    def word(self, word: str) -> list[int]:
        """Dimensions of a word's unigram and its padded character 3-grams."""
        found = self._words.get(word)
        if found is None:
            found = [self.index(g) for g in grams([word])]
            self._words[word] = found
        return found

    def indices(self, tokens: Sequence[str]) -> list[int]:
        """Dimensions of every gram of a token list (``grams``), via the word cache."""
        out: list[int] = []
        word = self.word
        for w in tokens:
            out += word(w)
        index = self.index
        out += [index(f"{a} {b}") for a, b in itertools.pairwise(tokens)]
        return out


@dataclass
class Vectorized:
    """Texts of one window: the (n, d) matrix of normalized hashed vectors, and the mean
    normalized weight of each word (for the moved-terms list)."""

    matrix: FloatArray
    word_weights: dict[str, float]

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])


def vectorize(texts: Iterable[str], hasher: Hasher) -> Vectorized:
    """Hashed, L2-normalized vectors of the non-empty texts."""
    token_lists = [t for t in (words(text) for text in texts) if t]
    matrix = np.zeros((len(token_lists), hasher.dimensions), dtype=np.float64)
    weights: dict[str, float] = {}
    for row, tokens in enumerate(token_lists):
        vec = np.bincount(hasher.indices(tokens), minlength=hasher.dimensions).astype(np.float64)
        norm = float(np.linalg.norm(vec))
        matrix[row] = vec / norm
        for w, n in Counter(tokens).items():
            weights[w] = weights.get(w, 0.0) + n / norm
    n_rows = max(len(token_lists), 1)
    return Vectorized(matrix, {w: v / n_rows for w, v in weights.items()})


def cosine_distance(a: FloatArray, b: FloatArray) -> float:
    """1 - cos(a, b); 0 for identical directions, 1 for orthogonal ones."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0 if na == nb else 1.0
    return max(0.0, 1.0 - float(a @ b) / (na * nb))


def centroid_distance(ref: Vectorized, cur: Vectorized) -> float:
    """Cosine distance between the two windows' centroids."""
    return cosine_distance(ref.matrix.mean(axis=0), cur.matrix.mean(axis=0))


def null_quantile(ref: Vectorized, cur: Vectorized, quantile: float = 0.95, seed: int = 0) -> float:
    """The ``quantile`` of the centroid distance over random re-splits of the pooled texts:
    what chance alone produces at these sample sizes."""
    pooled = np.vstack([ref.matrix, cur.matrix])
    n, n_ref = pooled.shape[0], ref.size
    rng = np.random.default_rng(seed % 2**32)
    # All re-splits at once: a 0/1 membership matrix times the pooled vectors is one BLAS
    # product, ~10x faster than summing fancy-indexed copies per permutation.
    member = np.zeros((PERMUTATIONS, n), dtype=np.float64)
    for i in range(PERMUTATIONS):
        member[i, rng.choice(n, size=n_ref, replace=False)] = 1.0
    parts = member @ pooled
    rest = pooled.sum(axis=0) - parts
    values = [cosine_distance(parts[i] / n_ref, rest[i] / (n - n_ref)) for i in range(PERMUTATIONS)]
    return float(np.quantile(values, quantile))


def moved_terms(ref: Vectorized, cur: Vectorized, top: int = 10) -> list[tuple[str, float, float]]:
    """(word, baseline weight, current weight) of the ``top`` gains and ``top`` losses."""
    vocab = set(ref.word_weights) | set(cur.word_weights)
    deltas = sorted(
        ((w, ref.word_weights.get(w, 0.0), cur.word_weights.get(w, 0.0)) for w in vocab),
        key=lambda t: t[2] - t[1],
    )
    gains = [t for t in reversed(deltas[-top:]) if t[2] > t[1]]
    losses = [t for t in deltas[:top] if t[2] < t[1]]
    return gains + losses


# -- language / script --------------------------------------------------------------------------

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "are",
            "of",
            "to",
            "in",
            "that",
            "it",
            "for",
            "with",
            "you",
            "this",
            "what",
            "how",
            "can",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "de",
            "que",
            "y",
            "es",
            "en",
            "por",
            "para",
            "con",
            "una",
            "un",
            "cómo",
            "qué",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "des",
            "du",
            "est",
            "et",
            "que",
            "une",
            "pour",
            "dans",
            "avec",
            "vous",
            "je",
            "mon",
            "pas",
            "sur",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "zu",
            "mit",
            "ich",
            "sie",
            "wie",
            "was",
            "den",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "la",
            "gli",
            "che",
            "è",
            "di",
            "e",
            "per",
            "con",
            "una",
            "un",
            "non",
            "come",
            "sono",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "os",
            "as",
            "de",
            "que",
            "e",
            "é",
            "em",
            "para",
            "com",
            "uma",
            "um",
            "não",
            "como",
            "são",
            "você",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "is",
            "van",
            "dat",
            "niet",
            "met",
            "voor",
            "zijn",
            "ik",
            "je",
            "hoe",
            "wat",
        ]
    ),
}
_SCRIPTS = (
    "LATIN",
    "CYRILLIC",
    "GREEK",
    "ARABIC",
    "HEBREW",
    "DEVANAGARI",
    "THAI",
    "HANGUL",
    "HIRAGANA",
    "KATAKANA",
    "CJK",
)
_SCRIPT_LABEL = {"CJK": "han", "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja"}
SCAN_CHARS = 400
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def script_of(ch: str) -> str | None:
    """The Unicode script family of a letter, from its character name (None otherwise)."""
    if ch.isascii():
        return "LATIN" if ch.isalpha() else None
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for script in _SCRIPTS:
        if name.startswith(script):
            return script
    return "OTHER"


def language(text: str) -> str:
    """A coarse language/script label: ``en``/``es``/``fr``/``de``/``it``/``pt``/``nl`` or
    ``latin`` for Latin text; ``ja``/``ko``/``han`` or the script name otherwise;
    ``none`` without letters."""
    sample = text[:SCAN_CHARS]
    scripts: Counter[str] = Counter()
    ascii_letters = len(_ASCII_LETTER.findall(sample))
    if ascii_letters:
        scripts["LATIN"] = ascii_letters
    if not sample.isascii():
        # Per-character name lookups cost ~0.3 µs each: only non-ASCII letters pay them.
        for ch in sample:
            if not ch.isascii():
                script = script_of(ch)
                if script is not None:
                    scripts[script] += 1
    if not scripts:
        return "none"
    if scripts.get("HIRAGANA", 0) + scripts.get("KATAKANA", 0) > 0 and "CJK" in scripts:
        return "ja"
    script = scripts.most_common(1)[0][0]
    if script != "LATIN":
        return _SCRIPT_LABEL.get(script, script.lower())
    tokens = words(sample)
    hits = {lang: sum(t in stops for t in tokens) for lang, stops in _STOPWORDS.items()}
    best = max(hits, key=lambda k: hits[k])
    if hits[best] == 0 or (hits[best] < 2 and len(tokens) > 8):
        return "latin"
    return best
