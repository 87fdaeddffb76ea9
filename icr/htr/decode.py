"""CTC decoding: greedy, prefix beam search, and beam search held to a field grammar
(a regular expression, pruned by partial matching) or a lexicon."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import regex

_FLOOR = 1e-12
_SURE = 0.9999  # a frame this sure of its best class is read as it is, without a search
_CANDIDATE_FLOOR = 1e-4  # frame probability below which the beam does not extend a prefix


@dataclass(frozen=True)
class WordSpan:
    """One word of a reading: its text, its confidence (the geometric mean of its characters'),
    and where it lies along the crop (``start`` to ``end``, shares of the crop's width)."""

    text: str
    confidence: float
    start: float
    end: float


@dataclass(frozen=True)
class Reading:
    """Decoded text and its confidence (0..1): the product, over the characters, of
    each character's best frame probability, taken to the power 1/len (geometric mean);
    ``words``: the same per word, with where each lies."""

    text: str
    confidence: float
    words: tuple[WordSpan, ...] = ()


def greedy(probs: np.ndarray, alphabet: str) -> Reading:
    """Best class per frame, repeats merged, blanks dropped."""
    best = probs.argmax(axis=1)
    chars: list[tuple[str, float, int, int]] = []  # character, best probability, first and last frame
    previous = 0
    for t, k in enumerate(best):
        if k != 0 and k != previous:
            chars.append((alphabet[k - 1], float(probs[t, k]), t, t))
        elif k != 0 and chars:
            ch, score, first, _ = chars[-1]
            chars[-1] = (ch, max(score, float(probs[t, k])), first, t)
        previous = int(k)
    text = "".join(c for c, _, _, _ in chars)
    return Reading(text.strip(), _geometric_mean([s for _, s, _, _ in chars]), _spans(chars, probs.shape[0]))


def _spans(chars: Sequence[tuple[str, float, int, int]], frames: int) -> tuple[WordSpan, ...]:
    """The words among decoded characters (split at spaces), each with its confidence and
    frames as shares of the crop's width."""
    words: list[WordSpan] = []
    run: list[tuple[str, float, int, int]] = []
    for item in [*chars, (" ", 1.0, 0, 0)]:
        if item[0] != " ":
            run.append(item)
            continue
        if run:
            words.append(
                WordSpan(
                    "".join(c for c, _, _, _ in run),
                    _geometric_mean([s for _, s, _, _ in run]),
                    run[0][2] / max(1, frames),
                    (run[-1][3] + 1) / max(1, frames),
                )
            )
        run = []
    return tuple(words)


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
    if pattern is None and lexicon is None:
        raw = "".join(_piece(probs[a:b], alphabet, width) for a, b in _pieces(probs))
        return _aligned(probs, alphabet, raw, _confidence(probs, alphabet, raw))
    prefixes = _prefix_set(lexicon) if lexicon is not None else None
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

    def complete(prefix: str) -> bool:
        if pattern is not None and pattern.fullmatch(prefix) is None:
            return False
        return lexicon is None or prefix in set(lexicon)

    for prefix in _search(np.log(np.maximum(probs, _FLOOR)), alphabet, width, allowed):
        if prefix.strip() and complete(prefix):
            return _aligned(probs, alphabet, prefix, _confidence(probs, alphabet, prefix))
    fallback = greedy(probs, alphabet)
    # the grammar did not fit: a doubtful reading
    return Reading(fallback.text, fallback.confidence * 0.5, tuple(replace(w, confidence=w.confidence * 0.5)
                                                                    for w in fallback.words))  # fmt: skip


def _aligned(probs: np.ndarray, alphabet: str, text: str, confidence: float) -> Reading:
    """``text`` as read from ``probs``, its words placed by the best alignment of its characters
    to the frames (each character's probability its best frame's)."""
    if not text.strip():
        return Reading("", confidence)
    labels = [alphabet.index(c) + 1 for c in text]
    chars: list[tuple[str, float, int, int]] = []  # as greedy's: character, best probability, frames
    for t, i in enumerate(best_alignment(np.log(np.maximum(probs, _FLOOR)), labels)):
        if i < 0:
            continue
        p = float(probs[t, labels[i]])
        if i == len(chars):
            chars.append((text[i], p, t, t))
        else:  # the path emits each label over consecutive frames, in order
            chars[i] = (text[i], max(chars[i][1], p), chars[i][2], t)
    return Reading(text.strip(), confidence, _spans(chars, probs.shape[0]))


def best_alignment(log: np.ndarray, labels: Sequence[int]) -> list[int]:
    """The most probable CTC path of ``labels`` through the frames: per frame, the index of the
    label it emits, or -1 for a blank (Viterbi over blank-interleaved labels)."""
    index, skip = _interleaved(labels)
    n, steps = len(index), log.shape[0]
    score = np.full(n, -math.inf)
    score[0] = log[0, 0]
    if n > 1:
        score[1] = log[0, index[1]]
    back = np.zeros((steps, n), np.int8)  # 0: from the same state, 1: one back, 2: two back
    for t in range(1, steps):
        one = np.concatenate(([-math.inf], score[:-1]))
        two = np.where(skip, np.concatenate(([-math.inf, -math.inf], score[:-2])), -math.inf)
        stacked = np.stack([score, one, two])
        back[t] = stacked.argmax(axis=0)
        score = stacked.max(axis=0) + log[t, index]
    state = n - 1 if n == 1 or score[-1] >= score[-2] else n - 2
    path = []
    for t in range(steps - 1, -1, -1):
        path.append(state)
        state -= int(back[t, state])
    return [s // 2 if s % 2 else -1 for s in reversed(path)]


def _pieces(probs: np.ndarray) -> list[tuple[int, int]]:
    """The frames cut into pieces at sure blanks. Across a frame that is blank all but
    surely no alignment carries a character, so the best reading of the whole is, but for
    that sliver, the best reading of each piece put end to end."""
    cuts = np.flatnonzero(probs[:, 0] >= _SURE)
    bounds = [0, *(int(c) + 1 for c in cuts), probs.shape[0]]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _piece(probs: np.ndarray, alphabet: str, width: int) -> str:
    """The best reading of a piece: its best path when every frame of it is sure, else
    the beam's best prefix (spaces kept: pieces are joined)."""
    best = probs.argmax(axis=1)
    if probs[np.arange(len(best)), best].min() >= _SURE:
        kept = [k for i, k in enumerate(best) if k != 0 and (i == 0 or k != best[i - 1])]
        return "".join(alphabet[k - 1] for k in kept)
    # unconstrained, a character this unlikely in a frame does not lift a prefix into the beam
    # (a grammar may need it): skipping it makes the search faster
    return _search(np.log(np.maximum(probs, _FLOOR)), alphabet, width, lambda _: True, math.log(_CANDIDATE_FLOOR))[0]


def _search(
    log: np.ndarray, alphabet: str, width: int, allowed: Callable[[str], bool], floor: float = -math.inf
) -> list[str]:
    """The prefixes left in the beam after the last frame, most probable first; a prefix is
    not extended by a character whose log probability in the frame is under ``floor``."""
    # prefix -> (log p ending in blank, log p ending in its last character)
    beams: dict[str, tuple[float, float]] = {"": (0.0, -math.inf)}
    top_k = min(len(alphabet), 12)
    for t in range(log.shape[0]):
        row = log[t]
        candidates = np.argpartition(-row[1:], top_k - 1)[:top_k] + 1
        candidates = candidates[row[candidates] > floor]
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
    return [p for p, _ in sorted(beams.items(), key=lambda kv: -_logadd(*kv[1]))]


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
    index, skip = _interleaved(labels)
    n = len(index)
    alpha = np.full(n, -math.inf)
    alpha[0] = log[0, 0]
    if n > 1:
        alpha[1] = log[0, index[1]]
    for t in range(1, log.shape[0]):
        one = np.concatenate(([-math.inf], alpha[:-1]))
        two = np.where(skip, np.concatenate(([-math.inf, -math.inf], alpha[:-2])), -math.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, one), two) + log[t, index]
    return float(np.logaddexp(alpha[-1], alpha[-2]) if n > 1 else alpha[-1])


def _interleaved(labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The CTC states of ``labels``: blank, label, blank, ... (class per state), and which states
    may be reached from two states back (a label that is neither blank nor the label before)."""
    ext = [0]
    for k in labels:
        ext += [k, 0]
    index = np.array(ext)
    skip = np.zeros(len(index), bool)
    skip[2:] = (index[2:] != 0) & (index[2:] != index[:-2])
    return index, skip
