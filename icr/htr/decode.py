"""CTC decoding: greedy, prefix beam search, and beam search held to a field grammar
(a regular expression, pruned by partial matching) or a lexicon."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import regex

_FLOOR = 1e-12


@dataclass(frozen=True)
class Reading:
    """Decoded text and its confidence (0..1): the product, over the characters, of
    each character's best frame probability, taken to the power 1/len (geometric mean)."""

    text: str
    confidence: float


def greedy(probs: np.ndarray, alphabet: str) -> Reading:
    """Best class per frame, repeats merged, blanks dropped."""
    best = probs.argmax(axis=1)
    chars: list[str] = []
    scores: list[float] = []
    previous = 0
    for t, k in enumerate(best):
        if k != 0 and k != previous:
            chars.append(alphabet[k - 1])
            scores.append(float(probs[t, k]))
        elif k != 0 and scores:
            scores[-1] = max(scores[-1], float(probs[t, k]))
        previous = int(k)
    return Reading("".join(chars).strip(), _geometric_mean(scores))


def _geometric_mean(scores: Sequence[float]) -> float:
    if not scores:
        return 0.0
    return float(math.exp(sum(math.log(max(s, _FLOOR)) for s in scores) / len(scores)))


def beam(
    probs: np.ndarray,
    alphabet: str,
    width: int = 8,
    pattern: regex.Pattern[str] | None = None,
    lexicon: Sequence[str] | None = None,
) -> Reading:
    """CTC prefix beam search. With ``pattern`` only prefixes that can still become a
    full match are kept, and the best full match wins; with ``lexicon`` only prefixes
    of its words. Falls back to greedy when nothing fits."""
    prefixes = _prefix_set(lexicon) if lexicon is not None else None
    log = np.log(np.maximum(probs, _FLOOR))
    # prefix -> (log p ending in blank, log p ending in its last character)
    beams: dict[str, tuple[float, float]] = {"": (0.0, -math.inf)}
    allowed_cache: dict[str, bool] = {}

    def allowed(prefix: str) -> bool:
        if prefix not in allowed_cache:
            ok = True
            if pattern is not None:
                ok = pattern.fullmatch(prefix, partial=True) is not None
            if ok and prefixes is not None:
                ok = prefix in prefixes
            allowed_cache[prefix] = ok
        return allowed_cache[prefix]

    top_k = min(len(alphabet), 12)
    for t in range(log.shape[0]):
        row = log[t]
        candidates = np.argpartition(-row[1:], top_k - 1)[:top_k] + 1
        nxt: dict[str, list[float]] = {}
        for prefix, (p_blank, p_char) in beams.items():
            total = _logadd(p_blank, p_char)
            _add(nxt, prefix, total + float(row[0]), -math.inf)
            if prefix:
                last = alphabet.index(prefix[-1]) + 1
                _add(nxt, prefix, -math.inf, p_char + float(row[last]))
            for k in candidates:
                ch = alphabet[k - 1]
                extended = prefix + ch
                if not allowed(extended):
                    continue
                # a repeated character needs a blank between its two frames
                source = p_blank if prefix and ch == prefix[-1] else total
                _add(nxt, extended, -math.inf, source + float(row[k]))
        ranked = sorted(nxt.items(), key=lambda kv: -_logadd(*kv[1]))
        beams = {p: (v[0], v[1]) for p, v in ranked[:width]}

    def complete(prefix: str) -> bool:
        if pattern is not None and pattern.fullmatch(prefix) is None:
            return False
        return lexicon is None or prefix in set(lexicon)

    finals = sorted(beams.items(), key=lambda kv: -_logadd(*kv[1]))
    for prefix, _ in finals:
        if (prefix.strip() or (pattern is None and lexicon is None)) and complete(prefix):
            return Reading(prefix.strip(), _confidence(probs, alphabet, prefix))
    if pattern is None and lexicon is None:
        return greedy(probs, alphabet)
    fallback = greedy(probs, alphabet)
    return Reading(fallback.text, fallback.confidence * 0.5)  # the grammar did not fit: a doubtful reading


def _logadd(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi, lo = (a, b) if a > b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


def _add(beams: dict[str, list[float]], prefix: str, blank: float, char: float) -> None:
    entry = beams.setdefault(prefix, [-math.inf, -math.inf])
    entry[0] = _logadd(entry[0], blank)
    entry[1] = _logadd(entry[1], char)


def _prefix_set(words: Sequence[str]) -> set[str]:
    out = {""}
    for word in words:
        for i in range(1, len(word) + 1):
            out.add(word[:i])
    return out


def _confidence(probs: np.ndarray, alphabet: str, text: str) -> float:
    """exp(log P(text | crop) / len(text)): the CTC probability of the whole text, all
    alignments summed, as a per-character geometric mean."""
    if not text:
        return 0.0
    labels = [alphabet.index(c) + 1 for c in text]
    return float(math.exp(ctc_log_likelihood(np.log(np.maximum(probs, _FLOOR)), labels) / len(labels)))


def ctc_log_likelihood(log: np.ndarray, labels: Sequence[int]) -> float:
    """log P(labels | frames) by the CTC forward recursion over blank-interleaved labels."""
    ext = [0]
    for k in labels:
        ext += [k, 0]
    n = len(ext)
    alpha = np.full(n, -math.inf)
    alpha[0] = log[0, 0]
    if n > 1:
        alpha[1] = log[0, ext[1]]
    for t in range(1, log.shape[0]):
        prev = alpha
        alpha = np.full(n, -math.inf)
        for s in range(n):
            best = prev[s]
            if s >= 1:
                best = np.logaddexp(best, prev[s - 1])
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2]:
                best = np.logaddexp(best, prev[s - 2])
            alpha[s] = best + log[t, ext[s]]
    return float(np.logaddexp(alpha[-1], alpha[-2]) if n > 1 else alpha[-1])
