"""Key/value pairs of any form, without a template: label the segments, then link questions to answers.

Labels (header, question, answer, other) come from rules on the text and geometry: a segment
ending in a colon asks a question; the segment to its right on its row, else the one right
below it, answers it; a segment in larger letters, or alone on its row near the top in capitals,
is a header. The weights are data (``forms`` in ``config/icr.yaml``).
"""

from __future__ import annotations

import functools
import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import regex

from icr.forms.segments import AnswerRule, Segment
from icr.text.locales import month_names, plain
from icr.types import FormPair

_LETTERS = regex.compile(r"\p{L}")
RULES = tuple(rule.value for rule in AnswerRule if rule)
"""The names of the rules that find an answer (keys of ``rule_confidence``)."""


@dataclass(frozen=True)
class LinkOptions:
    """Where an answer may sit relative to its question, in letter heights and page widths."""

    right_gap: float = 0.3
    """An answer on the question's row starts at most this share of the page width to its right."""
    below_gap: float = 1.8
    """An answer under the question starts at most this many letter heights below it."""
    below_indent: float = 3.0
    """... and its left edge is at most this many letter heights from the question's (or they overlap)."""
    header_height: float = 1.35
    """A segment in letters this much taller than the page's usual is a header."""
    header_top: float = 0.2
    """... as is a capitalised segment alone on its row in this top share of the page."""
    tall_row: float = 0.0
    """A segment this many times taller than the page's usual letters (a stamp, a scrawl, a logo) stands on a row
    of its own (the rows of type beside it are not one row through it) and answers nothing (0: off)."""
    max_key_words: int = 8
    """A question is short: at most this many words."""
    two_on_a_row: bool = True
    """A row of a label and one more segment is a question and its answer."""
    cluster_gap: float = 0.0
    """Two segments with this share of the page width clear on both sides are a row of two (0: off)."""
    case_contrast: bool = False
    """A label word followed by words in another case is answered by them ("Size" / "FULL PAGE")."""
    skip_marks: bool = False
    """A table cell's heading is looked for past marks under it (a unit, "%", "$")."""
    table_values: int = 3
    """A row with this many values after its first segment is a table's row."""
    table_rows: bool = False
    """A table row's first segment asks and its cells answer it, however far to its right (besides their
    column's heading): a label with words (not a number), its first cell within ``right_gap``, and no cell of a
    column headed in a row of headings (a corner heading over a column of values)."""
    heading_reach: float = 8.0
    """A table column's heading is at most this many letter heights above a cell ..."""
    heading_chain: bool = False
    """... or above the cells over it, each at most that far above the next (a long column)."""
    min_confidence: float = 0.5
    """A pair whose key or value was read with less confidence is left out."""
    digit_slips: Mapping[str, str] = field(default_factory=dict)
    """Letters OCR reads for digits, put back in a value that is otherwise digits ({"O": "0"})."""
    rule_confidence: Mapping[str, float] = field(default_factory=dict)
    """How often each rule's pairs are right ({"colon_row": 0.7, ...}; a rule not named: 1.0); a pair's
    confidence is this times how surely its words were read."""
    min_pair_confidence: float = 0.0
    """A pair the rules found with less confidence is left out (trades recall for precision)."""
    answer_lines: int = 0
    """An answer written after its question goes on over at most this many more lines ..."""
    line_gap: float = 0.8
    """... each at most this many letter heights under the one before ..."""
    line_indent: float = 1.5
    """... starting at most this many letter heights from the answer's left edge ..."""
    run_on_alone: bool = False
    """... and with nothing left of it on its row (a line after a label of its own, "cc  H. Williams", answers
    that label, not the answer above it)."""
    above_reach: float = 0.0
    """An answer takes a question above it at most this many of its letter heights up (0: any distance);
    a table's cell any distance (its column's heading over the cells above it)."""
    left_reach: float = 0.0
    """An answer takes a question on its row at most this many of its letter heights to its left (0: any)."""
    name_lists: bool = False
    """Names with initials in a block (rows and columns) from the answer after a colon ("cc: A. Roe /
    B. C. Doe") each answer that question, instead of running on as one answer ..."""
    name_reach: float = 25.0
    """... the names of a row at most this many letter heights apart (a list printed in columns)."""
    align: float = 0.0
    """A row's two segments are a label and its answer when both start within this many letter heights of
    where a surer pair's do (``aligned_row``; 0: off) ..."""
    align_rules: tuple[str, ...] = ()
    """... a pair found by one of these rules."""
    sentence_colon: int = 0
    """A colon after words starting with a small letter ends a sentence ("... as follows:", "in Mice:"): it asks
    nothing, unless it is one word of at most this many letters ("cc:"); 0: every colon asks."""
    heading_marks: tuple[str, ...] = ()
    """A segment of a sign from these and words after it, no digit ("# Requested", "% of Stores"), names what
    is counted: a heading, never an answer; the words after the sign a label ("# Customers Invited" / "40")."""
    asking_marks: tuple[str, ...] = ()
    """A segment ending in one of these ("Manager/Supervisor?") asks: never an answer."""
    tick_marks: tuple[str, ...] = ()
    """Signs a tick is read as ("X", "x", "✓"): a segment of these alone (brackets aside) is a tick mark ..."""
    choice_words: int = 0
    """... and after a colon on a row, segments of at most this many words of letters (two or more of them) with a
    tick mark among them are the choices asked for ("REGION: FULL X PARTIAL"): the colon asks none of them, the
    mark answers the choice it follows (``ticked``); 0: off."""
    month_languages: tuple[str, ...] = ()
    """Languages whose month names (babel's CLDR data, with their short forms) mark a date: a month, with its day
    or not, and a number or another month after it on its row are one date or two, not a label and its value
    ("AUGUST" / "15-18, 1996")."""
    wrapped_lines: bool = False
    """A line alone under a short label's row, starting where the label starts and in a small letter, carries on
    the answer after the label's colon back at the margin ("Manager Comments:" / "Manager, please contact
    suggester and forward" / "comments to the Quality Council."): it answers the label too."""
    unanswered_labels: bool = False
    """A label left with no answer once linked (capitalised words, at most ``max_key_words``, no digits: a blank's
    caption, a box's name) still asks: a question, not other; the pairs are the same."""
    raised_answers: bool = False
    """A label with no answer on its row is answered by the segment after it typed a little above its line (the
    answer's middle over the label's top, its bottom below it: "Brand & Style" / "CARLTON 100's FMSP"), within
    ``right_gap`` and nothing between them on the label's row (``raised``)."""
    sure_answers: tuple[str, ...] = ()
    """Answers found by these rules (``colon_row``, ``case_row``) ask nothing themselves: not of the segment
    after them on their row, nor as the heading of a column under them (an entity asks or answers)."""


def _same_row(a: Segment, b: Segment) -> bool:
    ay0, ay1 = a.box[1], a.box[3]
    by0, by1 = b.box[1], b.box[3]
    first_row_a = (ay0, ay0 + (ay1 - ay0) / max(a.rows, 1))
    centre = (by0 + min(by1, by0 + (by1 - by0) / max(b.rows, 1))) / 2
    return first_row_a[0] - 2 <= centre <= first_row_a[1] + 2


def _is_question_text(seg: Segment, options: LinkOptions) -> bool:
    body = seg.text.rstrip().rstrip(":").strip()
    return (
        seg.ends_with_colon
        and bool(_LETTERS.search(body))
        and len(seg.words) <= options.max_key_words
        and not _ends_a_sentence(body, options)
    )


def _ends_a_sentence(body: str, options: LinkOptions) -> bool:
    """Words before a colon that start with a small letter: the end of a sentence, not a label."""
    if options.sentence_colon <= 0 or not body[:1].islower():
        return False
    return len(body.split()) > 1 or sum(c.isalpha() for c in body) > options.sentence_colon


_DIGIT = regex.compile(r"\p{N}")


def _key_like(seg: Segment, options: LinkOptions) -> bool:
    """Short words of letters, no digits: a label ("Date", "Account Name", "No."), capitalised or mostly capitals
    (OCR reads "UPC NO" as "uPc NO"), after a sign of ``heading_marks`` ("# Customers Invited")."""
    text = _unmarked(seg.text.strip(), options)
    if not text:
        return False
    letters = [c for c in text if c.isalpha()]
    digits = _DIGIT.findall(_NOTES.sub("", text) if seg.note else text)
    return (
        (seg.rows == 1 or (seg.rows == 2 and seg.note))
        and len(seg.words) <= options.max_key_words // 2
        and len(letters) >= 2
        and len(digits) <= 1
        and (text[0].isupper() or text[0] == "(" or sum(c.isupper() for c in letters) > len(letters) / 2)
    )


def _unmarked(text: str, options: LinkOptions) -> str:
    """``text`` without the sign of ``heading_marks`` it starts with ("# Customers Invited": "Customers Invited")."""
    lead = next((m for m in options.heading_marks if text.startswith(m)), "")
    return text[len(lead) :].lstrip()


def _word_label(seg: Segment) -> bool:
    """One or two capitalised words of letters alone ("Date", "Zip", "Approved By"): another label, not an answer."""
    words = seg.text.split()
    return len(words) <= 2 and all(w[:1].isupper() and w.isalpha() for w in words)


def _case(seg: Segment) -> str:
    letters = [c for c in seg.text if c.isalpha()]
    if len(letters) < 2:
        return ""
    upper = sum(c.isupper() for c in letters)
    return "caps" if upper == len(letters) else "mixed" if upper else "small"


def _contrast(left: Segment, right: Segment) -> bool:
    """A label printed in one case and its answer typed in another ("Size" / "FULL PAGE")."""
    a, b = _case(left), _case(right)
    return bool(a and b) and a != b


def _answer_in_contrast(label: Segment, answer: Segment) -> bool:
    """A person's name after a label; or an answer typed in another case than its label, starting as a
    value starts (not a note in brackets or a sentence going on), and not one more capitalised word
    (another label)."""
    if _starts_with_name(answer) and not _starts_with_name(label):
        return True
    first = answer.text.lstrip("_\"'")[:1]
    return (
        _contrast(label, answer)
        and (first.isupper() or first.isdigit())
        and not (_word_label(answer) and _case(answer) == "mixed" and len(answer.words) == 1)
    )


def _label_text(seg: Segment, options: LinkOptions) -> bool:
    """A heading of what is counted ("# Requested") or a question asked ("Contacted your Manager?"), by its
    signs (``heading_marks``, ``asking_marks``): a label, whatever rule would take it for an answer."""
    text = seg.text.strip()
    if options.asking_marks and text.endswith(options.asking_marks):
        return True
    lead = next((m for m in options.heading_marks if text.startswith(m)), None)
    return lead is not None and _LETTERS.search(text[len(lead) :]) is not None and not _DIGIT.search(text)


def _cluster_of_two(row: Sequence[Segment], left: Segment, right: Segment, width: int, options: LinkOptions) -> bool:
    """``left`` and ``right`` stand apart on their row: wide gaps (``cluster_gap`` of the page width) before
    and after the two of them."""
    i = next(k for k, s in enumerate(row) if s is left)
    gap = options.cluster_gap * width
    before = i == 0 or left.box[0] - row[i - 1].box[2] > gap
    after = i + 2 >= len(row) or row[i + 2].box[0] - right.box[2] > gap
    return before and after


def _value_like(seg: Segment) -> bool:
    """A value: it has digits, or it is the last thing on its row."""
    text = _NOTES.sub("", seg.text) if seg.note else seg.text  # "Total (205)": a heading, no value
    return bool(_DIGIT.search(text)) or seg.text.strip() in {"X", "x", "-0-"}


def _rows(segments: Sequence[Segment], tall: float = float("inf")) -> list[list[Segment]]:
    """The segments in rows, left to right; a segment taller than ``tall`` stands on a row of its own."""
    rows: list[list[Segment]] = []
    for seg in sorted(segments, key=lambda s: (s.box[1], s.box[0])):
        if seg.height > tall:
            rows.append([seg])  # a stamp or a scrawl over three lines of type joins none of them
            continue
        for row in rows:
            if row[0].height > tall:
                continue
            # any member, not the first: a row's pieces drift apart on a tilted or handwritten line
            if any(_same_row(o, seg) or _same_row(seg, o) for o in row):
                row.append(seg)
                break
        else:
            rows.append([seg])
    for row in rows:
        row.sort(key=lambda s: s.box[0])
    return rows


def label_segments(segments: Sequence[Segment], page_width: int, page_height: int, options: LinkOptions) -> None:
    """Set each segment's ``label`` in place: questions (a colon, or a label before a value on its row or
    over a column of values), their answers, headers; the rest is other."""
    if not segments:
        return
    usual = statistics.median(s.height for s in segments)
    for seg in segments:
        seg.label = "question" if _is_question_text(seg, options) else "other"
    tall = options.tall_row * usual if options.tall_row > 0 else float("inf")
    rows = _rows(segments, tall)
    on_rows: list[tuple[Segment, Segment]] = []
    for row in rows:
        _ticked_choices(row, options)
        if sum(_value_like(seg) for seg in row[1:]) >= options.table_values:
            _table_row(row, segments, page_width, options)
            continue
        for left, right in itertools.pairwise(row):
            if "choice" in left.extra or "choice" in right.extra:
                continue  # a colon's choices and their tick: labelled already
            if right.label == "question" or _under_headings(left, right, segments, options):
                continue
            if _label_text(right, options):
                continue  # a label: it answers nothing
            if _month(left, options) and (right.text[:1].isdigit() or _month(right, options)):
                continue  # a date: its month is no label
            if left.label == "answer" and left.rule in options.sure_answers:
                continue  # surely an answer: it asks nothing of the segment after it
            if right.box[0] - left.box[2] > options.right_gap * page_width:
                continue  # too far apart on the row to be asked and answered
            two = len(row) == 2 or (options.cluster_gap > 0 and _cluster_of_two(row, left, right, page_width, options))
            named = _word_label(right) and not (options.case_contrast and _contrast(left, right))
            pair_row = two and not right.ends_with_colon and options.two_on_a_row and not named
            if left.label == "question" or (_key_like(left, options) and (_value_like(right) or pair_row)):
                right.rule = (
                    AnswerRule.COLON_ROW
                    if left.label == "question"
                    else AnswerRule.LABEL_VALUE
                    if _value_like(right)
                    else AnswerRule.CASE_ROW
                    if _answer_in_contrast(left, right)
                    else AnswerRule.TWO_ON_ROW
                )
                left.label = "question"
                right.label = "answer"
                on_rows.append((left, right))
    _aligned_rows(on_rows, options)
    if options.raised_answers:
        _raised_answers(segments, page_width, options)
    for q in [s for s in segments if s.label == "question" or _key_like(s, options)]:
        if q.label == "answer" and q.rule in options.sure_answers:
            continue  # heads no column either
        if "choice" in q.extra:
            continue  # a choice heads nothing
        if any(_same_row(q, o) and o.box[0] >= q.box[2] - 2 and o.label == "answer" for o in segments):
            continue
        column = _column_below(q, segments, options)
        if q.label == "question" and column:
            if column[0].label != "answer":  # a table's cell (or a value on its row) keeps the rule that found it
                column[0].label = "answer"  # a question's answer written under it
                column[0].rule = AnswerRule.UNDER_QUESTION
        elif (
            column
            and _value_like(column[0])
            and column[0].rule != AnswerRule.RAISED  # answering the label it was typed after
            and not (_month(q, options) and _month(column[0], options))
        ):
            q.label = "question"  # a column's heading over its values
            for seg in column:
                if _value_like(seg):
                    seg.label = "answer"
                    seg.rule = AnswerRule.COLUMN
    for seg in segments:
        if seg.height > tall and seg.label == "answer":
            seg.label, seg.rule = "other", AnswerRule.NONE  # a stamp or a scrawl answers nothing
    for seg in segments:
        if seg.label != "other":
            continue
        letters = [c for c in seg.text if c.isalpha()]
        tall = seg.height >= options.header_height * usual and len(letters) >= 3
        alone = not any(o is not seg and _same_row(seg, o) for o in segments)
        caps = len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
        if (tall or (alone and caps and seg.box[1] < options.header_top * page_height)) and seg.rows <= 2:
            seg.label = "header"


def unanswered_labels(segments: Sequence[Segment], options: LinkOptions) -> None:
    """Label as questions, in place, the segments left other that read as labels (``unanswered_labels``): a form's
    blank is still asked for. Run after linking: the pairs do not change."""
    if not options.unanswered_labels:
        return
    wide = replace(options, max_key_words=2 * options.max_key_words)  # a question's words, not a row label's
    for seg in segments:
        if seg.label == "other" and _key_like(seg, wide):
            seg.label = "question"


def _raised_answers(segments: Sequence[Segment], page_width: int, options: LinkOptions) -> None:
    """Each label with no answer on its row takes the first segment after it typed a little above its line
    (``raised_answers``): that answers it, ``row_head`` naming the label."""
    for label in segments:
        if not (label.label == "question" or (label.label == "other" and _key_like(label, options))):
            continue
        if any(_same_row(label, o) and o.box[0] >= label.box[2] - 2 and o.label == "answer" for o in segments):
            continue
        top = label.box[1]
        after = [
            s
            for s in segments
            if s.label == "other"
            and label.box[2] - 2 <= s.box[0] <= label.box[2] + options.right_gap * page_width
            and s.rows == 1
            and (s.box[1] + s.box[3]) / 2 < top < s.box[3]
            and not _key_like(s, options)
            and not _label_text(s, options)
            and not s.ends_with_colon
        ]
        if not after:
            continue
        answer = min(after, key=lambda s: s.box[0])
        if any(
            o is not label and _same_row(label, o) and label.box[2] - 2 <= o.box[0] and o.box[2] <= answer.box[0] + 2
            for o in segments
        ):
            continue  # something between them on the label's row
        label.label, answer.label, answer.rule, answer.row_head = "question", "answer", AnswerRule.RAISED, label


def _month(seg: Segment, options: LinkOptions) -> bool:
    """A month's name, a day's number after it or not ("AUGUST", "OCT 3")."""
    words = seg.text.split()
    if not words or not options.month_languages or len(words) > 2:
        return False
    name = plain(words[0].strip(".,"))
    return name in _months(options.month_languages) and all(w.strip(".,").isdigit() for w in words[1:])


@functools.cache
def _months(languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(month_names(languages))


def _tick(seg: Segment, options: LinkOptions) -> bool:
    """A tick mark: signs of ``tick_marks`` alone, brackets aside ("X", "[x]", "xX")."""
    signs = [c for c in seg.text if c not in "[]() "]
    return bool(signs) and all(c in options.tick_marks for c in signs)


def _ticked_choices(row: Sequence[Segment], options: LinkOptions) -> None:
    """After a colon on ``row``, two choices or more (short words of letters) with a tick mark among them: the
    choices offered ("REGION: FULL X PARTIAL", "Budgeted: Yes No X"). The colon asks none of them; each mark
    answers the choice before it (``ticked``), the choices left answer nothing."""
    if options.choice_words <= 0 or not options.tick_marks:
        return
    for i, q in enumerate(row):
        if q.label != "question":
            continue
        after = list(itertools.takewhile(lambda s: s.label != "question" and not s.ends_with_colon, row[i + 1 :]))
        marks = [s for s in after if _tick(s, options)]
        choices = [s for s in after if not _tick(s, options)]
        if not marks or len(choices) < 2 or not all(_choice(s, options) for s in choices):
            continue
        for seg in after:
            seg.extra["choice"] = 1.0
        for mark in marks:
            before = [c for c in choices if c.box[2] <= mark.box[0] + 2]
            if before:
                chosen = max(before, key=lambda c: c.box[2])
                chosen.label = "question"
                mark.label, mark.rule = "answer", AnswerRule.TICKED


def _choice(seg: Segment, options: LinkOptions) -> bool:
    """One of the choices a colon offers: at most ``choice_words`` words of letters, no digit."""
    return (
        seg.rows == 1
        and len(seg.words) <= options.choice_words
        and _LETTERS.search(seg.text) is not None
        and not _DIGIT.search(seg.text)
    )


def _aligned_rows(pairs: Sequence[tuple[Segment, Segment]], options: LinkOptions) -> None:
    """A row's two segments (``two_on_row``) whose label and answer start where those of a surer pair start
    (``align_rules``) are in the form's columns of labels and answers: ``aligned_row``."""
    if options.align <= 0:
        return
    sure = [(q, a) for q, a in pairs if a.rule in options.align_rules and a.label == "answer"]
    for q, a in pairs:
        if a.rule != AnswerRule.TWO_ON_ROW:
            continue
        reach = options.align * max(q.height, 1.0)
        if any(
            q2 is not q
            and abs(q2.box[0] - q.box[0]) <= reach
            and abs(a2.box[0] - a.box[0]) <= reach
            for q2, a2 in sure
        ):
            a.rule = AnswerRule.ALIGNED_ROW


def _table_row(row: list[Segment], segments: Sequence[Segment], page_width: int, options: LinkOptions) -> None:
    """A table's row: its cells (the values) answer its heading on the left and their column's heading."""
    head = row[0]
    cells = [seg for seg in row[1:] if _value_like(seg)]
    heads = (
        options.table_rows
        and row[1].box[0] - head.box[2] <= options.right_gap * page_width  # not a label across the page
        and _worded(_NOTES.sub("", head.text))
        and len(head.words) <= options.max_key_words
        and not _in_headed_column(head, segments, options)
    )
    if heads:
        head.label = "question"
    for cell in cells:
        cell.label = "answer"
        cell.rule = AnswerRule.TABLE
        cell.extra["table"] = 1.0
        cell.row_head = head if heads else None
        top = _column_heading(cell, segments, options)
        if top is not None:
            top.label = "question"


def _column_heading(cell: Segment, segments: Sequence[Segment], options: LinkOptions) -> Segment | None:
    """The nearest label above a table cell in its column (overlapping it), past the cells between."""
    x0, y0, x1, _ = cell.box
    above = [s for s in segments if s.box[3] <= y0 + 2 and min(s.box[2], x1) > max(s.box[0], x0) and s is not cell]
    top = y0
    for s in sorted(above, key=lambda s: -s.box[3]):
        if top - s.box[3] > options.heading_reach * max(cell.height, 1.0):
            return None
        if _value_like(s) or (options.skip_marks and _mark(s)):
            top = min(top, s.box[1]) if options.heading_chain else top
            continue  # the cells above, or a unit under the heading ("%", "$")
        return s if _key_like(s, options) and not s.ends_with_colon else None
    return None


def _worded(text: str) -> bool:
    """At least three letters, twice as many as digits or more ("Under 35", "35 & Over"; not "21-34", "Jan 23")."""
    letters = sum(c.isalpha() for c in text)
    return letters >= 3 and letters >= 2 * len(_DIGIT.findall(text))


def _in_headed_column(seg: Segment, segments: Sequence[Segment], options: LinkOptions) -> bool:
    """``seg`` is a cell of a column whose heading stands in a row of headings (the corner of a table whose
    first column holds values, "Supplier" over the suppliers' names), not a row's heading."""
    top = _column_heading(seg, segments, options)
    for _ in range(len(segments)):
        if top is None:
            return False
        row = [s for s in segments if s is not top and (_same_row(top, s) or _same_row(s, top))]
        if sum(_value_like(s) for s in row) < options.table_values:
            return bool(row) and all(_key_like(s, options) and not _value_like(s) for s in row)
        top = _column_heading(top, segments, options)  # the heading of the row above: up the column
    return False


_NOTES = regex.compile(r"\([^()]*\)?")
"""Notes in brackets ("(7=Stronger)"): a label's, not a value's digits."""


def _mark(seg: Segment) -> bool:
    """A sign, not a word: fewer than two letters and no digit ("%", "$", "/")."""
    return sum(c.isalpha() for c in seg.text) < 2 and not _DIGIT.search(seg.text)


def _aligned_below(upper: Segment, lower: Segment, options: LinkOptions) -> bool:
    """``lower`` starts under ``upper`` (overlapping it, or near its left edge) and close below it."""
    ux0, _, ux1, uy1 = upper.box
    x0, y0, x1, _ = lower.box
    h = max(upper.height, 1.0)
    if y0 < uy1 - 2 or y0 - uy1 > options.below_gap * h:
        return False
    return min(ux1, x1) > max(ux0, x0) or abs(x0 - ux0) <= options.below_indent * h


def _heading(seg: Segment, options: LinkOptions) -> bool:
    """A table's column heading: a label that neither asks (no colon) nor answers."""
    return seg.label != "answer" and not seg.ends_with_colon and _key_like(seg, options)


def _under_headings(left: Segment, right: Segment, segments: Sequence[Segment], options: LinkOptions) -> bool:
    """Both sit under labels of one row (a table's headings): they answer those, not each other."""
    for a in segments:
        if a is left or a is right or not _heading(a, options) or not _aligned_below(a, left, options):
            continue
        for b in segments:
            if b is not a and _heading(b, options) and _same_row(a, b) and _aligned_below(b, right, options):
                return True
    return False


def _column_below(q: Segment, segments: Sequence[Segment], options: LinkOptions) -> list[Segment]:
    """The segments under ``q`` in its column, top down, while each is close to the one before: a value, or
    (first under a question) any text but a label."""
    out: list[Segment] = []
    last = q
    below = sorted((s for s in segments if s.box[1] >= q.box[3] - 2 and s is not q), key=lambda s: s.box[1])
    for s in below:
        if not _aligned_below(q, s, options) and not (out and _aligned_below(last, s, options)):
            if s.box[1] - last.box[3] > options.below_gap * max(q.height, 1.0):
                break
            continue
        if s.label == "question" or s.ends_with_colon or _label_text(s, options):
            break
        if _value_like(s) or (not out and q.label == "question" and not _word_label(s)):
            out.append(s)
            last = s
            if not _value_like(s):
                break
        else:
            break
    return out


def clean_key(text: str) -> str:
    """A question as a key: its words, without the colon it ends in."""
    return regex.sub(r"\s*:\s*$", "", text.strip())


def _confidence(seg: Segment) -> float:
    return sum(w.confidence for w in seg.words) / len(seg.words)


def repair_digits(text: str, slips: Mapping[str, str]) -> str:
    """Each word of mostly digits (at least two, and more digits than letters) with the letters OCR
    reads for digits put back ("4O213" -> 40213; ``slips`` from ``forms.links.digit_slips``)."""
    table = str.maketrans(dict(slips))

    def fix(word: str) -> str:
        digits = sum(c.isdigit() for c in word)
        letters = sum(c.isalpha() for c in word)
        return word.translate(table) if digits >= 2 and digits > letters else word

    return " ".join(fix(w) for w in text.split(" "))


def pairs_of(
    links: Sequence[tuple[Segment, Segment]],
    page: int = 1,
    options: LinkOptions | None = None,
    scores: Sequence[float] | None = None,
) -> list[FormPair]:
    """Linked segments as pairs: key without its colon, value as read, confidence of both readings
    (times the link's score when a learned linker gave one)."""
    options = options or LinkOptions(min_confidence=0.0)
    out: list[FormPair] = []
    for i, (q, a) in enumerate(links):
        read = min(_confidence(q), _confidence(a))
        if read < options.min_confidence:
            continue
        weight = scores[i] if scores is not None else options.rule_confidence.get(a.rule, 1.0)
        conf = round(read * weight, 3)
        if scores is None and conf < options.min_pair_confidence:
            continue  # a learned linker's scores were cut at its own threshold
        value = repair_digits(a.text, options.digit_slips)
        out.append(FormPair(clean_key(q.text), value, conf, page, q.box, a.box, engine=_engine(a)))
    return out


def _engine(segment: Segment) -> str:
    """The engine that read most of the segment's words again (empty: the page's own did)."""
    engines = [w.engine for w in segment.words]
    return max(sorted(set(engines)), key=engines.count) if engines else ""


def link_answers(segments: Sequence[Segment], options: LinkOptions) -> list[tuple[Segment, Segment]]:
    """Each answer with its question: the nearest question to its left on its row, else the nearest above it
    (overlapping it horizontally, or starting near its left edge). A question may have many answers (a
    table's column heading). A table's cell answers besides its column's heading (else the nearest question
    over it, however far up) and its row's heading."""
    questions = [s for s in segments if s.label == "question"]
    links: list[tuple[Segment, Segment]] = []
    for a in (s for s in segments if s.label == "answer"):
        if a.rule == AnswerRule.RAISED and a.row_head is not None:
            q: Segment | None = a.row_head
        else:
            q = _left_question(a, questions, options) or _above_question(a, questions, options)
        if q is not None:
            links.append((q, a))
        if a.extra.get("table"):
            top = _column_heading(a, segments, options) or _above_question(a, questions, options)
            if top is not None and top is not q and top.label == "question":
                links.append((top, a))  # a table's cell answers its row's and its column's headings
            head = a.row_head
            if head is not None and head.label == "question" and head is not q and head is not top:
                links.append((head, a))  # however far to the left
    if options.wrapped_lines:
        links.extend(_wrapped_lines(links, segments, options))
    links.sort(key=lambda qa: (qa[0].box[1], qa[0].box[0], qa[1].box[1], qa[1].box[0]))
    return links


def _wrapped_lines(
    links: Sequence[tuple[Segment, Segment]], segments: Sequence[Segment], options: LinkOptions
) -> list[tuple[Segment, Segment]]:
    """The lines carrying on a colon's answer on its row back at the label's left edge (``wrapped_lines``)."""
    found: list[tuple[Segment, Segment]] = []
    for q, a in links:
        if a.rule != AnswerRule.COLON_ROW or len(q.words) > options.max_key_words // 2:
            continue  # a label's answer on its row, not a sentence's end
        if not (_same_row(q, a) or _same_row(a, q)):
            continue
        h = max(q.height, 1.0)
        bottom = max(q.box[3], a.box[3])
        for s in segments:
            first = next((c for c in s.text if c.isalpha()), "")
            if (
                s.label == "other"
                and first.islower()
                and abs(s.box[0] - q.box[0]) <= options.line_indent * h
                and q.box[3] - h / 2 <= s.box[1] <= bottom + options.line_gap * h
                and not any(o is not s and (_same_row(s, o) or _same_row(o, s)) for o in segments)
            ):
                s.label, s.rule = "answer", a.rule
                found.append((q, s))
                break
    return found


_NAME = regex.compile(r"^(?:\p{Lu}\p{Ll}{1,2}\.\s*)?(?:\p{Lu}\.\s*){1,3}\p{Lu}[\p{L}'-]+\.?$")
"""A person's name with initials ("R. H. Orcutt", "Dr. A. W. Spears", "J.F. Banks")."""


def name_lists(
    links: Sequence[tuple[Segment, Segment]], segments: Sequence[Segment], options: LinkOptions
) -> list[tuple[Segment, Segment]]:
    """The links, with each name of a block of names (in rows and columns) reached from a colon's
    answer linked to that question (``name_lists``): a distribution list ("cc:"). Those names are
    answers of that question only, so no answer runs on over them."""
    if not options.name_lists:
        return list(links)
    members: set[int] = set()
    found: list[tuple[Segment, Segment]] = []
    for q, a in links:
        if a.rule not in (AnswerRule.COLON_ROW, AnswerRule.UNDER_QUESTION) or id(a) in members:
            continue
        if not _starts_with_name(a):
            continue
        block = _name_block(a, segments, options)
        if len(block) < 2:
            continue
        for seg in block:
            members.add(id(seg))
            seg.label, seg.rule = "answer", AnswerRule.NAME_LIST
            found.append((q, seg))
    kept = [(q, a) for q, a in links if id(a) not in members and id(q) not in members]
    return kept + found


def _starts_with_name(seg: Segment) -> bool:
    """The segment is a name, or begins with one (names on a row read as one segment)."""
    return any(_NAME.match(" ".join(w.text for w in seg.words[:n])) for n in range(1, min(len(seg.words), 4) + 1))


def _name_block(start: Segment, segments: Sequence[Segment], options: LinkOptions) -> list[Segment]:
    """Names reached from ``start`` one line down (starting where one starts) or along a row."""
    names = [s for s in segments if s is start or (s.rows == 1 and _NAME.match(s.text.strip()))]
    block, todo = [start], [start]
    while todo:
        seg = todo.pop()
        h = max(seg.height, 1.0)
        for other in names:
            if any(other is b for b in block):
                continue
            down = seg.box[3] - 2 <= other.box[1] <= seg.box[3] + options.line_gap * h and (
                abs(other.box[0] - seg.box[0]) <= options.line_indent * h
            )
            along = _same_row(seg, other) or _same_row(other, seg)
            if down or (along and abs(other.box[0] - seg.box[2]) <= options.name_reach * h):
                block.append(other)
                todo.append(other)
    return block


def run_on_answers(
    links: Sequence[tuple[Segment, Segment]], segments: Sequence[Segment], options: LinkOptions
) -> list[Segment]:
    """Answers written after their question take in the lines they run on to (``answer_lines``); the
    segments left."""
    taken: set[int] = set()
    for _, a in links:
        if a.rule in (AnswerRule.COLON_ROW, AnswerRule.UNDER_QUESTION):
            taken |= _run_on(a, segments, options)
    return [s for s in segments if id(s) not in taken]


def _run_on(a: Segment, segments: Sequence[Segment], options: LinkOptions) -> set[int]:
    """Take into ``a`` the lines it runs on to: unlabelled text right under it, starting where it starts."""
    taken: set[int] = set()
    for _ in range(int(options.answer_lines)):
        x0, _, _, y1 = a.box
        h = max(a.height, 1.0)
        below = [
            s
            for s in segments
            if s.label == "other"
            and y1 - 2 <= s.box[1] <= y1 + options.line_gap * h
            and abs(s.box[0] - x0) <= options.line_indent * h
            and abs(s.height - a.height) <= 0.3 * h
            and not s.ends_with_colon
            and id(s) not in taken
            and not (options.run_on_alone and _after_another(s, segments))
        ]
        if len(below) != 1:
            break
        a.words = [*a.words, *below[0].words]
        a.rows += 1
        taken.add(id(below[0]))
    return taken


def _after_another(seg: Segment, segments: Sequence[Segment]) -> bool:
    """Something stands left of ``seg`` on its row (a label of its own: "cc  H. Williams")."""
    return any(
        o is not seg and o.box[2] <= seg.box[0] + 2 and (_same_row(o, seg) or _same_row(seg, o)) for o in segments
    )


def _left_question(a: Segment, questions: Sequence[Segment], options: LinkOptions) -> Segment | None:
    ax0 = a.box[0]
    reach = options.left_reach * max(a.height, 1.0) if options.left_reach > 0 else float("inf")
    left = [q for q in questions if ax0 - reach <= q.box[2] <= ax0 + 2 and (_same_row(q, a) or _same_row(a, q))]
    return max(left, key=lambda q: q.box[2], default=None)


def _above_question(a: Segment, questions: Sequence[Segment], options: LinkOptions) -> Segment | None:
    ax0, ay0, ax1, _ = a.box
    best: tuple[float, Segment] | None = None
    for q in questions:
        qx0, _, qx1, qy1 = q.box
        h = max(q.height, 1.0)
        if qy1 > ay0 + 2:
            continue
        if not (min(qx1, ax1) > max(qx0, ax0) or abs(ax0 - qx0) <= options.below_indent * h):
            continue
        gap = ay0 - qy1
        if options.above_reach > 0 and gap > options.above_reach * max(a.height, 1.0) and not a.extra.get("table"):
            continue  # a label higher up the page asks something else
        if best is None or gap < best[0]:
            best = (gap, q)
    return best[1] if best is not None else None
