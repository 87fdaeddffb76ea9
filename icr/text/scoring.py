"""How much each kind of evidence counts when the text corrector chooses a receipt's total, date and
company name (``config/scoring.yaml``, validated with pydantic).

The extractors score every candidate by adding points for what the page says about it (a label, the
arithmetic, its place) and keep the best; a field's confidence before calibration is a straight line
of the winner's points. The mechanisms are code (:mod:`icr.text.amounts`, :mod:`icr.text.fields`,
:mod:`icr.text.header`); the points are data, so a deployment can weigh them for its documents. An
unknown or misspelled key is an error naming the file and the key.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from icr.config import config_dir, load_yaml
from icr.errors import ConfigError


class _Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Confidence(_Weights):
    """A field's confidence from its points: ``base + per_point * points``, at most 1 (and at least
    ``floor``, if set), times the confidence of the line it was read from."""

    base: float
    per_point: float
    floor: float | None = None

    def of(self, points: float, line_confidence: float) -> float:
        share = self.base + self.per_point * points
        if self.floor is not None:
            share = max(self.floor, share)
        return min(1.0, share) * line_confidence


class TotalLabels(_Weights):
    """A candidate's points from its label."""

    total: float
    total_rounded: float
    subtotal_alone: float
    """A subtotal when no total label was read at all ("Total (RM): Cea)")."""
    unlabelled: float
    """No label, a rounding line, or a label paired with the amount from lines of different lengths."""
    paid: float
    """A tendered amount: only the arithmetic makes it the total."""
    paired_unsure: float
    """Added to a total label paired from lines of different lengths (it may be a neighbour's)."""
    final: float
    """A label of the amount payable ("GRAND TOTAL", "AMOUNT DUE": the packs' ``final_total``)."""
    strong: float
    """A total label of another strong kind (the packs' ``strong_total``)."""
    same_line: float
    """The label printed on the amount's line."""


class TotalArithmetic(_Weights):
    """Points for the sums a candidate makes with the other amounts."""

    tendered_less_change: float
    """Tendered less the change (a change above zero) is the candidate."""
    tendered_exactly: float
    """Tendered with a change of zero is the candidate."""
    paid_no_change: float
    """The amount paid, no change printed, is the candidate."""
    rounded: float
    """The candidate less the rounding line is another total."""
    parts: float
    """The subtotal (or an earlier total) and the tax and other parts add up to the candidate."""
    rounding_run: float
    """Three amounts in a row ``X, r, X + r`` with a small ``r``: the candidate is ``X + r``."""
    tender_run: float
    """``T ... P ... C`` within a few lines with ``P - C = T``, whatever the labels: the candidate is T."""
    sums_groups: float
    """Printed after two group totals it is the sum of ("TOTAL 6% SUPPLIES", "TOTAL 0% SUPPLIES")."""
    sums_items: float
    """No total label and none of the parts (subtotal, tax, tip, ...) was read, and the item prices printed
    above it (each item line's last amount, two or more) add up to the candidate."""


class TotalWeights(_Weights):
    labels: TotalLabels
    arithmetic: TotalArithmetic
    repeated: float
    """For each other print of the same amount ..."""
    repeated_most: int = Field(ge=0)
    """... counting at most this many."""
    largest: float
    """The largest amount that is not tendered, change, a quantity or a tax."""
    not_positive: float
    tendered: float
    """The amount is the tender or the change of a tender run."""
    under_subtotal: float
    """Less than the subtotal with nothing taken off: a misread or another amount."""
    tax_summary: float
    """A total label in a tax summary table below the payment."""
    after_payment: float
    """A total label more than two lines after the payment."""
    other_currency: float
    """A total in another currency than the receipt's (a conversion printed beside it)."""
    position: float
    """Times the line's place in the document (0 at the top, 1 at the end)."""
    confidence: Confidence
    derived_share: float
    """A total the arithmetic puts in place of a misread one is this share as sure as the tender's line ..."""
    paid_share: float
    """... one taken from the payment when no amount is a candidate, this share as sure as its line ..."""
    parts_share: float
    """... and the subtotal, tax, tip, tender and change this share as sure as theirs."""


class DateWeights(_Weights):
    base: float
    label: float
    """A date label before the date, or alone on the line above it."""
    not_document_date: float
    """A label of another date beside it (an expiry, a due date)."""
    time_after: float
    """A time of day after it."""
    implausible: float
    """More than a year ahead, or before 2000."""
    position: float
    """Times the line's place in the document (0 at the top, 1 at the end)."""
    later_on_line: float
    """For each date before it on its line."""
    eight_digits: float
    """Printed as eight digits and nothing else (20180304 is as likely a code)."""
    keyword_from: float
    """A date with at least these points was found by its label (provenance ``keyword``)."""
    confidence: Confidence
    least_confidence: float
    """A date read is never less sure than this, whatever its line's confidence."""


class NameWeights(_Weights):
    """A header line's points as the company's name."""

    no_word: float
    """Fewer than four letters in words of three or more: OCR of a logo."""
    legal_form: float
    business_word: float
    not_name: float
    """A line the packs' ``not_name`` knows for no name (a slogan, a web address, "TAX INVOICE")."""
    registration: float
    address_cue: float
    """An address cue, without a legal form ..."""
    street_line: float
    """... and a whole street line besides."""
    mostly_digits: float
    """More digits than half its letters."""
    dated: float
    position: float
    """Times the line's place in the header block."""
    read_surely: float
    """Times the confidence of the line's reading."""
    none_below: float
    """No name when the best line scores under this."""
    joins_below: float
    """A line above the name joins it (a name wrapped over lines) when it scores over this."""
    confidence: Confidence
    footer_share: float
    """A name found at the foot of the page (the header printed only a logo) is this share as sure as
    its line."""


class AddressWeights(_Weights):
    confidence: Confidence
    """Its points are the address's lines that show an address cue (a street word, a postcode)."""
    on_name_line_share: float
    """An address run onto the name's line is this share as sure as that line."""


class TaxIdWeights(_Weights):
    """A labelled tax or company number's confidence, times its line's."""

    checked: float
    """Its check digits agree with a scheme of the document's countries (python-stdnum)."""
    unchecked: float
    """The document's countries have no scheme of their own (an EU VAT number's aside): as read."""
    check_failed: float
    """They have, and it agrees with none: a digit misread, or another number."""


class PhoneWeights(_Weights):
    """A labelled telephone number's confidence, times its line's."""

    valid: float
    """Valid in the numbering plan of one of the document's countries (or written with its country code)."""
    possible: float
    """Of a length the document's countries could dial, but valid in none of their plans: as printed."""
    as_read: float
    """No country chosen and no country code printed: as read."""
    unlabelled: float
    """No label: a number valid in the document's country among the lines at its top."""


class Scoring(_Weights):
    """``config/scoring.yaml``."""

    total: TotalWeights
    date: DateWeights
    company: NameWeights
    address: AddressWeights
    tax_id: TaxIdWeights
    phone: PhoneWeights


def scoring_file() -> Path:
    return config_dir() / "scoring.yaml"


@functools.cache
def load_scoring(path: Path | None = None) -> Scoring:
    """The weights in ``path`` (default: the config folder's ``scoring.yaml``); a bad file is a
    :class:`ConfigError` naming it and the key."""
    file = path or scoring_file()
    data = load_yaml(file)
    try:
        return Scoring.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "-"
        problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(f"{file}: {key}: {problem}") from exc


def default_scoring() -> Scoring:
    return load_scoring(scoring_file())
