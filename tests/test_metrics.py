"""OCR metrics: exact Levenshtein, CER and bag-of-words accuracy."""

from __future__ import annotations

import random
import time

import pytest

from icr.metrics import cer, levenshtein, normalize, word_accuracy


def _reference_levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("TOTAL", "T0TAL", 1),
        ("abcdef", "azced", 3),
        ("a" * 100, "a" * 99 + "b", 1),
    ],
)
def test_levenshtein_known_pairs(a: str, b: str, expected: int) -> None:
    assert levenshtein(a, b) == expected
    assert levenshtein(b, a) == expected


def test_levenshtein_matches_plain_dp_on_random_strings() -> None:
    rng = random.Random(7)
    for _ in range(300):
        a = "".join(rng.choice("AB C1") for _ in range(rng.randint(0, 90)))
        b = "".join(rng.choice("AB C1") for _ in range(rng.randint(0, 90)))
        assert levenshtein(a, b) == _reference_levenshtein(a, b), (a, b)


def test_levenshtein_is_fast_on_receipt_sized_text() -> None:
    rng = random.Random(1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:"
    a = "".join(rng.choice(alphabet) for _ in range(3000))
    b = "".join(rng.choice(alphabet) for _ in range(3000))
    start = time.perf_counter()
    d = levenshtein(a, b)
    assert time.perf_counter() - start < 0.5
    assert 0 < d <= 3000


def test_cer_normalises_case_and_whitespace() -> None:
    ref = "TOTAL\nRM 9.00\n"
    assert cer("total  rm 9.00", ref) == 0.0
    assert cer("Total\tRM\n\n9.00\f", ref) == 0.0
    # One substitution over the 13 characters of "TOTAL RM 9.00".
    assert cer("TOTAL RM 9.0O", ref) == pytest.approx(1 / 13)


def test_cer_edge_cases() -> None:
    assert cer("", "") == 0.0
    assert cer("x", "") == 1.0
    assert cer("", "ABC") == 1.0
    assert cer("ABCABCABC", "ABC") == pytest.approx(2.0)


def test_word_accuracy_is_order_free_recall_with_multiplicity() -> None:
    ref = "CASH BILL\nTOTAL 9.00\nTOTAL"
    assert word_accuracy("total 9.00 total cash bill", ref) == 1.0
    assert word_accuracy("BILL CASH TOTAL 9.00", ref) == pytest.approx(4 / 5)
    assert word_accuracy("CASH BIIL TOTAL 9.0O", ref) == pytest.approx(2 / 5)
    assert word_accuracy("", ref) == 0.0
    assert word_accuracy("anything", "") == 1.0


def test_normalize() -> None:
    assert normalize("  a\n b\t\tc \f") == "A B C"
