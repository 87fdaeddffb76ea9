"""Filled forms for icr's samples: printed labels, answers in print or a handwriting-style font,
tick boxes ticked or not, and a zonal template for the fixed-layout one.

Called by ``make_samples.py`` (into ``sample-forms/``); kept apart from the receipts it makes. Each
``<name>.png`` gets ``<name>.json``: ``{"doc_type": "form", "pairs": {key: value},
"checkboxes": {label: true|false}}`` and, for the zonal one, ``"zones": {name: value}``.
Needs Pillow and the fonts of Debian's fonts-dejavu-core and fonts-humor-sans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = {
    "print": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf"],
    "bold": ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"],
    "hand": ["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
}
PAGE = (1700, 2200)
LABEL_SIZE = 34


def form_font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    for path in FONTS[kind]:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    package = "fonts-humor-sans" if kind == "hand" else "fonts-dejavu-core"
    raise SystemExit(f"font for {kind} not found (install Debian's {package})")


@dataclass
class Field:
    label: str
    value: str
    x: int
    y: int
    answer_x: int
    hand: bool = False


@dataclass
class Tick:
    label: str
    ticked: bool
    x: int
    y: int


@dataclass
class FormSample:
    name: str
    title: str
    fields: list[Field]
    ticks: list[Tick] = field(default_factory=list)
    signature: tuple[int, int] | None = None
    zones: dict[str, str] = field(default_factory=dict)


def _tick_box(draw: ImageDraw.ImageDraw, tick: Tick, label_font: ImageFont.FreeTypeFont) -> None:
    s = 34
    x, y = tick.x, tick.y
    draw.rectangle((x, y, x + s, y + s), outline=0, width=3)
    if tick.ticked:
        draw.line((x + 6, y + 18, x + 14, y + 28, x + 29, y + 5), fill=0, width=5)
    draw.text((x + s + 18, y - 2), tick.label, font=label_font, fill=0)


def render_form(form: FormSample) -> np.ndarray:
    img = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(img)
    label_font, bold = form_font("print", LABEL_SIZE), form_font("bold", 52)
    hand, printed = form_font("hand", 44), form_font("print", LABEL_SIZE)
    width = draw.textlength(form.title, font=bold)
    draw.text(((PAGE[0] - width) / 2, 120), form.title, font=bold, fill=0)
    for f in form.fields:
        draw.text((f.x, f.y), f.label, font=label_font, fill=0)
        draw.line((f.answer_x - 10, f.y + 46, f.answer_x + 640, f.y + 46), fill=0, width=2)
        draw.text((f.answer_x, f.y - (10 if f.hand else 0)), f.value, font=hand if f.hand else printed, fill=0)
    for tick in form.ticks:
        _tick_box(draw, tick, label_font)
    if form.signature is not None:
        x, y = form.signature
        draw.text((x, y), "Signature:", font=label_font, fill=0)
        pts = [(x + 260 + i * 12, y + 20 + int(18 * np.sin(i / 2.5))) for i in range(40)]
        draw.line(pts, fill=0, width=4)
    return np.array(img)


def fixed_forms() -> list[FormSample]:
    leave = FormSample(
        "leave-request",
        "LEAVE REQUEST FORM",
        [
            Field("Employee name:", "DAVID HOLT", 150, 330, 600, hand=True),
            Field("Employee number:", "40213", 150, 450, 600, hand=True),
            Field("Department:", "FINANCE", 150, 570, 600, hand=True),
            Field("First day:", "12/03/2024", 150, 690, 600, hand=True),
            Field("Days requested:", "5", 150, 810, 600, hand=True),
        ],
        [
            Tick("Paid leave", True, 150, 980),
            Tick("Unpaid leave", False, 650, 980),
            Tick("Manager informed", True, 150, 1100),
        ],
        signature=(150, 1300),
        zones={"employee_name": "DAVID HOLT", "employee_number": "40213", "first_day": "2024-03-12", "days": "5"},
    )
    claim = FormSample(
        "expense-claim",
        "EXPENSE CLAIM",
        [
            Field("Claimant:", "Peter Okafor", 150, 330, 560),
            Field("Cost centre:", "CC-7731", 150, 450, 560),
            Field("Trip to:", "Rotterdam", 150, 570, 560),
            Field("Amount claimed:", "412.80", 150, 690, 560),
            Field("Approved by:", "MARIA LIND", 150, 810, 560, hand=True),
        ],
        [Tick("Receipts attached", True, 150, 980), Tick("Advance received", False, 150, 1100)],
    )
    return [leave, claim]


def _box(text: str, x: int, y: int, kind: str = "print", size: int = LABEL_SIZE) -> str:
    """Where ``text`` lands when drawn at (x, y), as the template's ``[x0, y0, x1, y1]``."""
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    x0, y0, x1, y1 = draw.textbbox((x, y), text, font=form_font(kind, size))
    return f"[{int(x0)}, {int(y0)}, {int(x1)}, {int(y1)}]"


def leave_template() -> str:
    """The zonal template of the leave request, its anchors measured on the rendered labels."""
    title = ImageDraw.Draw(Image.new("L", (1, 1))).textlength("LEAVE REQUEST FORM", font=form_font("bold", 52))
    return LEAVE_TEMPLATE.format(
        title=_box("LEAVE REQUEST FORM", int((PAGE[0] - title) / 2), 120, "bold", 52),
        name=_box("Employee name:", 150, 330),
        days=_box("Days requested:", 150, 810),
        informed=_box("Manager informed", 202, 1098),
    )


LEAVE_TEMPLATE = """\
# A fixed-layout form read by its zones (samples/form_samples.py renders it on a 1700 x 2200 page).
name: leave_request
doc_type: form
priority: 5
description: The sample leave request form; its fields are read where the layout puts them.
keywords: ["LEAVE REQUEST FORM", "Employee number", "Days requested"]
min_score: 0.6
layout:
  page_size: [1700, 2200]
  anchors:
    - {{text: "LEAVE REQUEST FORM", box: {title}}}
    - {{text: "Employee name:", box: {name}}}
    - {{text: "Days requested:", box: {days}}}
    - {{text: "Manager informed", box: {informed}}}
  zones:
    employee_name: {{box: [580, 300, 1260, 380], kind: handwriting}}
    employee_number: {{box: [580, 420, 1260, 500], kind: number}}
    first_day: {{box: [580, 660, 1260, 740], kind: date, handwritten: true}}
    days: {{box: [580, 780, 1260, 860], kind: number}}
    paid_leave: {{box: [150, 980, 184, 1014], kind: checkbox}}
    unpaid_leave: {{box: [650, 980, 684, 1014], kind: checkbox}}
    signed: {{box: [400, 1280, 900, 1360], kind: signature}}
"""


def expected(form: FormSample) -> dict[str, object]:
    out: dict[str, object] = {
        "doc_type": "form",
        "pairs": {f.label.rstrip(":"): f.value for f in form.fields},
        "checkboxes": {t.label: t.ticked for t in form.ticks},
    }
    if form.zones:
        out["zones"] = form.zones
        out["zone_checkboxes"] = {"paid_leave": True, "unpaid_leave": False}
        out["signed"] = True
    return out


def write_forms(out: Path) -> int:
    """The fixed forms and the zonal template into ``out`` (and ``out/templates``); how many forms."""
    (out / "templates").mkdir(parents=True, exist_ok=True)
    forms = fixed_forms()
    for form in forms:
        cv2.imwrite(str(out / f"{form.name}.png"), render_form(form), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        (out / f"{form.name}.json").write_text(json.dumps(expected(form), indent=2) + "\n", encoding="utf-8")
    (out / "templates" / "leave_request.yaml").write_text(leave_template(), encoding="utf-8")
    return len(forms)
