#!/usr/bin/env python3
"""Make icr's sample receipts: rendered with a font, then degraded like real scans.

    python samples/make_samples.py                    # the fixed samples, into samples/
    python samples/make_samples.py --count 2000 --out /tmp/load --seed 7   # many random ones

Each image ``<name>.png`` gets ``<name>.json`` beside it with the fields icr must
read back (normalized: ISO dates, amounts as decimal strings). The random ones
(for load tests) vary vendors, items, date formats, currencies and degradations.
Needs Pillow, numpy and OpenCV (icr's own dependencies) and the DejaVu fonts
(Debian's fonts-dejavu-core).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
CENT = Decimal("0.01")


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for d in FONT_DIRS:
        if (d / name).is_file():
            return ImageFont.truetype(str(d / name), size)
    raise SystemExit(f"font {name} not found (install Debian's fonts-dejavu-core)")


@dataclass
class Line:
    left: str
    right: str = ""
    center: bool = False
    bold: bool = False


@dataclass
class Receipt:
    name: str
    lines: list[Line]
    expected: dict[str, str]
    degrade: dict[str, float] = field(default_factory=dict)
    width_chars: int = 40


def money(x: Decimal, mark: str = "") -> str:
    return f"{mark}{x.quantize(CENT):,.2f}"


def render(receipt: Receipt, size: int = 26) -> np.ndarray:
    """Draw the receipt as black text on white paper; returns a grayscale array."""
    regular, bold = font(size), font(size, bold=True)
    char_w = regular.getbbox("M")[2]
    line_h = int(size * 1.45)
    margin = 3 * char_w
    width = receipt.width_chars * char_w + 2 * margin
    height = line_h * (len(receipt.lines) + 2) + 2 * margin
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    y = margin
    for line in receipt.lines:
        f = bold if line.bold else regular
        if line.left == "-":
            draw.line([(margin, y + line_h // 2), (width - margin, y + line_h // 2)], fill=0, width=2)
        elif line.center:
            w = draw.textlength(line.left, font=f)
            draw.text(((width - w) / 2, y), line.left, font=f, fill=0)
        else:
            draw.text((margin, y), line.left, font=f, fill=0)
            if line.right:
                w = draw.textlength(line.right, font=f)
                draw.text((width - margin - w, y), line.right, font=f, fill=0)
        y += line_h
    return np.array(img)


# -- degradations --------------------------------------------------------------------------


def add_border(img: np.ndarray, px: int) -> np.ndarray:
    out = cv2.copyMakeBorder(img, px, px, px, px, cv2.BORDER_CONSTANT, value=255)
    h = out.shape[0]
    # A scanner's dark border, uneven on each side.
    out[: px // 2, :] = 20
    out[:, : px // 3] = 25
    out[h - px // 4 :, :] = 30
    return out


def add_table_lines(img: np.ndarray, every: int, top: int = 0) -> np.ndarray:
    """Ruling lines as a table prints them: between the rows (every ``every`` pixels from
    ``top``) and down both margins, touching but not crossing the text."""
    out = img.copy()
    h, w = out.shape
    for y in range(top, h - every // 2, every):
        cv2.line(out, (0, y), (w - 1, y), 90, 2)
    for x in (w // 40, w - w // 40):
        cv2.line(out, (x, 0), (x, h - 1), 90, 2)
    return out


def add_background(img: np.ndarray, strength: float) -> np.ndarray:
    """Uneven illumination: a diagonal shadow over the paper."""
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 1.0 - strength * (xx / w * 0.6 + yy / h * 0.4)
    return np.clip(img.astype(np.float32) * shade, 0, 255).astype(np.uint8)


def add_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noisy = img.astype(np.float32) + rng.normal(0, sigma, img.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def skew(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=255)


def degrade(img: np.ndarray, d: dict[str, float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if d.get("lines"):
        img = add_table_lines(img, int(d["lines"]), int(d.get("lines_top", 0)))
    if d.get("background"):
        img = add_background(img, d["background"])
    if d.get("skew"):
        img = skew(img, d["skew"])
    if d.get("blur"):
        img = cv2.GaussianBlur(img, (3, 3), d["blur"])
    if d.get("noise"):
        img = add_noise(img, d["noise"], rng)
    if d.get("border"):
        img = add_border(img, int(d["border"]))
    return img


# -- the fixed samples ---------------------------------------------------------------------


def fixed_samples() -> list[Receipt]:
    ying = Receipt(
        "ying-thai-kitchen",
        [
            Line("Ying Thai Kitchen", center=True, bold=True),
            Line("2220 Queen Anne AVE N", center=True),
            Line("Seattle WA 98109", center=True),
            Line("Tel. (206) 285-8424", center=True),
            Line("-"),
            Line("Order#:17", "Table 2"),
            Line("Date: 7/4/2013 7:28 PM"),
            Line("-"),
            Line("44 Ginger Lover", "$9.50"),
            Line("Brown Rice", "$2.00"),
            Line("-"),
            Line("Total 2 item(s)", "$11.50"),
            Line("Sales Tax", "$1.09"),
            Line("Grand Total", "$12.59", bold=True),
            Line("-"),
            Line("Tip Guide", center=True),
            Line("15%=$1.89, 18%=$2.27, 20%=$2.52", center=True),
            Line("Thank you!", center=True),
        ],
        {
            "company": "Ying Thai Kitchen",
            "address": "2220 Queen Anne AVE N Seattle WA 98109",
            "phone": "+12062858424",
            "date": "2013-07-04",
            "time": "19:28",
            "subtotal": "11.50",
            "tax": "1.09",
            "total": "12.59",
            "currency": "USD",
        },
        {"skew": 2.5, "noise": 6},
    )
    kedai = Receipt(
        "kedai-maju-jaya",
        [
            Line("KEDAI RUNCIT MAJU JAYA SDN BHD", center=True, bold=True),
            Line("(1234567-K)", center=True),
            Line("NO. 12, JALAN MERANTI 3,", center=True),
            Line("TAMAN SERI INDAH, 43000 KAJANG,", center=True),
            Line("SELANGOR.", center=True),
            Line("GST ID: 001234567890", center=True),
            Line("TAX INVOICE", center=True, bold=True),
            Line("INVOICE NO: CS10023451"),
            Line("DATE: 25/12/2018 8:13:39 PM"),
            Line("-"),
            Line("SUGAR 1KG", "2.90"),
            Line("COOKING OIL 2KG", "13.50"),
            Line("EGGS GRADE A 10S", "4.60"),
            Line("-"),
            Line("TOTAL SALES (EXCL GST):", "19.81"),
            Line("GST 6%:", "1.19"),
            Line("ROUNDING ADJ:", "0.00"),
            Line("TOTAL (RM):", "21.00", bold=True),
            Line("CASH", "50.00"),
            Line("CHANGE", "29.00"),
            Line("THANK YOU. PLEASE COME AGAIN", center=True),
        ],
        {
            "company": "KEDAI RUNCIT MAJU JAYA SDN BHD",
            "address": "NO. 12, JALAN MERANTI 3, TAMAN SERI INDAH, 43000 KAJANG, SELANGOR.",
            "date": "2018-12-25",
            "tax": "1.19",
            "total": "21.00",
            "paid": "50.00",
            "change": "29.00",
            "currency": "MYR",
        },
        {"background": 0.35, "noise": 4},
    )
    fuel = Receipt(
        "northway-fuel",
        [
            Line("NORTHWAY FUEL STATION", center=True, bold=True),
            Line("14 HIGH STREET", center=True),
            Line("LEEDS LS1 4AP", center=True),
            Line("VAT REG NO: GB 123 4567 89", center=True),
            Line("-"),
            Line("03 MAR 2021", "14:52"),
            Line("PUMP 04 UNLEADED"),
            Line("32.15 L @ 1.299/L", "41.76"),
            Line("CAR WASH", "4.00"),
            Line("-"),
            Line("TOTAL", "GBP 45.76", bold=True),
            Line("VAT @ 20%", "7.63"),
            Line("PAID BY VISA ************4821"),
            Line("THANK YOU FOR YOUR CUSTOM", center=True),
        ],
        {
            "company": "NORTHWAY FUEL STATION",
            "address": "14 HIGH STREET LEEDS LS1 4AP",
            "date": "2021-03-03",
            "time": "14:52",
            "tax": "7.63",
            "total": "45.76",
            "card_last4": "4821",
            "currency": "GBP",
        },
        {"border": 60, "noise": 3},
    )
    invoice = Receipt(
        "acme-invoice",
        [
            Line("ACME OFFICE SUPPLIES LTD", bold=True),
            Line("8 RIVERSIDE WAY, BRISTOL BS1 6AB"),
            Line("TEL: 0117 496 0321"),
            Line("INVOICE", bold=True),
            Line("INVOICE NO: INV-2019-0457"),
            Line("INVOICE DATE: 2019-11-05"),
            Line("-"),
            Line("DESCRIPTION", "AMOUNT"),
            Line("A4 PAPER 5 REAMS", "22.50"),
            Line("TONER CARTRIDGE", "64.99"),
            Line("DESK ORGANISER", "12.75"),
            Line("-"),
            Line("SUBTOTAL", "100.24"),
            Line("VAT 20%", "20.05"),
            Line("AMOUNT DUE", "120.29", bold=True),
        ],
        {
            "company": "ACME OFFICE SUPPLIES LTD",
            "address": "8 RIVERSIDE WAY, BRISTOL BS1 6AB",
            "date": "2019-11-05",
            "receipt_number": "INV-2019-0457",
            "subtotal": "100.24",
            "tax": "20.05",
            "total": "120.29",
        },
        {"lines": 37, "lines_top": 45, "skew": -1.5},
        width_chars=44,
    )
    grocer = Receipt(
        "green-valley-grocer",
        [
            Line("GREEN VALLEY GROCER", center=True, bold=True),
            Line("501 MAPLE AVENUE", center=True),
            Line("SPRINGFIELD IL 62704", center=True),
            Line("(217) 555-0143", center=True),
            Line("OCT 3, 2016  10:05 AM"),
            Line("-"),
            Line("BANANAS 2.1 LB", "1.26"),
            Line("WHOLE MILK 1 GAL", "3.49"),
            Line("BREAD WHEAT", "2.99"),
            Line("APPLES GALA 3 LB", "4.47"),
            Line("-"),
            Line("SUBTOTAL", "12.21"),
            Line("TAX", "0.00"),
            Line("TOTAL", "$12.21", bold=True),
            Line("DEBIT", "$12.21"),
        ],
        {
            "company": "GREEN VALLEY GROCER",
            "address": "501 MAPLE AVENUE SPRINGFIELD IL 62704",
            "date": "2016-10-03",
            "subtotal": "12.21",
            "total": "12.21",
        },
        {"skew": 4.0, "background": 0.25, "noise": 5, "border": 40},
    )
    return [ying, kedai, fuel, invoice, grocer]


# -- random receipts for load tests --------------------------------------------------------

_NAMES = [
    "GOLDEN",
    "LOTUS",
    "SUNRISE",
    "HARBOUR",
    "MAPLE",
    "CEDAR",
    "RIVERSIDE",
    "PEARL",
    "ORCHID",
    "SUMMIT",
    "EVERGREEN",
]
_KINDS = ["MART", "TRADING SDN BHD", "CAFE", "BAKERY", "HARDWARE", "ENTERPRISE", "MINI MARKET", "PHARMACY"]
_STREETS = ["JALAN BUNGA RAYA", "MAIN STREET", "KING ROAD", "JALAN SETIA 2", "ELM AVENUE", "MARKET SQUARE"]
_TOWNS = ["KUALA LUMPUR", "JOHOR BAHRU", "PORTLAND OR", "MANCHESTER", "IPOH, PERAK", "AUSTIN TX"]
_ITEMS = [
    "RICE 5KG",
    "MINERAL WATER",
    "NOODLES",
    "COFFEE 200G",
    "SOAP BAR",
    "BATTERY AA",
    "TEA BAGS",
    "TOOTHPASTE",
    "BREAD",
    "CHICKEN 1KG",
    "NOTEBOOK A5",
    "PEN BLUE",
    "TISSUE BOX",
    "SUGAR 1KG",
]
_DATE_FORMS = ["%d/%m/%Y", "%d-%m-%y", "%d %b %Y", "%d-%b-%Y", "%Y-%m-%d", "%d.%m.%y"]


def random_receipt(i: int, rng: random.Random) -> Receipt:
    company = f"{rng.choice(_NAMES)} {rng.choice(_NAMES)} {rng.choice(_KINDS)}"
    street = f"NO. {rng.randint(1, 300)}, {rng.choice(_STREETS)},"
    town = f"{rng.randint(10000, 99999)} {rng.choice(_TOWNS)}"
    date = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3000))
    items = [(rng.choice(_ITEMS), Decimal(rng.randint(50, 5000)) / 100) for _ in range(rng.randint(2, 9))]
    subtotal = sum((a for _, a in items), Decimal(0))
    tax = (subtotal * Decimal("0.06")).quantize(CENT)
    total = subtotal + tax
    lines = [
        Line(company, center=True, bold=True),
        Line(street, center=True),
        Line(town, center=True),
        Line(f"DATE: {date.strftime(rng.choice(_DATE_FORMS)).upper()}  {rng.randint(8, 21)}:{rng.randint(0, 59):02d}"),
        Line("-"),
    ]
    lines += [Line(name, money(a)) for name, a in items]
    lines += [
        Line("-"),
        Line("SUBTOTAL", money(subtotal)),
        Line("TAX 6%", money(tax)),
        Line("TOTAL", money(total), bold=True),
        Line("THANK YOU", center=True),
    ]
    expected = {
        "company": company,
        "address": f"{street} {town}",
        "date": date.isoformat(),
        "subtotal": f"{subtotal:.2f}",
        "tax": f"{tax:.2f}",
        "total": f"{total:.2f}",
    }
    d = {"skew": rng.uniform(-4, 4), "noise": rng.uniform(0, 8)}
    if rng.random() < 0.3:
        d["background"] = rng.uniform(0.1, 0.4)
    if rng.random() < 0.2:
        d["border"] = rng.randint(20, 60)
    return Receipt(f"receipt-{i:06d}", lines, expected, d)


def write(receipt: Receipt, out: Path, seed: int) -> None:
    img = degrade(render(receipt), receipt.degrade, seed)
    cv2.imwrite(str(out / f"{receipt.name}.png"), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    (out / f"{receipt.name}.json").write_text(json.dumps(receipt.expected, indent=2) + "\n", encoding="utf-8")


# -- one receipt per locale pack (config/locales) -------------------------------------------

LOCALE_DIR = "sample-locales"
"""The locale samples go to ``sample-locales/`` beside samples/: ``<tag>.png`` and ``<tag>.json``."""


def _locale_receipt(tag: str, rows: list[Line], expected: dict[str, str], logo: bool = False) -> Receipt:
    # a ``"_logo"`` key in the expected fields is not a field: it tells ``write_locale`` to draw a logo
    return Receipt(tag, rows, {**expected, **({"_logo": "1"} if logo else {})}, {"noise": 3})


def locale_samples() -> list[Receipt]:
    """A receipt for each locale pack: a logo drawn as a picture with the store named only in the
    footer, VAT tables, tendered and change, decimal commas, euro signs, a total whose label and
    amount are on two lines, day-first and month-first dates."""
    return [
        _locale_receipt(
            "de_DE",
            [
                Line("Hauptstrasse 12", center=True),
                Line("10115 Berlin", center=True),
                Line("Tel. 030 1234567", center=True),
                Line("-"),
                Line("Datum: 14.03.2023", "18:42"),
                Line("Vollmilch 3,5%", "1,19 A"),
                Line("Roggenbrot", "2,49 A"),
                Line("Kaffee Bohnen 500g", "7,99 A"),
                Line("-"),
                Line("SUMME EUR", bold=True),
                Line("", "11,67", bold=True),
                Line("Bar", "20,00"),
                Line("Rueckgeld", "8,33"),
                Line("-"),
                Line("MwSt    Netto   MwSt   Brutto"),
                Line("A 7%    10,91   0,76   11,67"),
                Line("-"),
                Line("Vielen Dank fuer Ihren Einkauf", center=True),
                Line("Frischmarkt Mueller GmbH", center=True),
            ],
            {"company": "Frischmarkt Mueller GmbH", "address": "Hauptstrasse 12 10115 Berlin",
             "date": "2023-03-14", "total": "11.67", "paid": "20.00", "change": "8.33", "currency": "EUR"},
            logo=True,
        ),
        _locale_receipt(
            "ms_MY",
            [
                Line("KEDAI RUNCIT SRI MAJU SDN BHD", center=True, bold=True),
                Line("(123456-A)", center=True),
                Line("NO 12, JALAN MAWAR 3, TAMAN MELATI,", center=True),
                Line("53100 KUALA LUMPUR.", center=True),
                Line("TEL: 03-4021 8899", center=True),
                Line("-"),
                Line("TARIKH: 05/02/2018", "MASA: 10:15"),
                Line("ROTI GARDENIA", "2.90"),
                Line("SUSU PEKAT", "3.40"),
                Line("-"),
                Line("JUMLAH", "RM 6.30", bold=True),
                Line("TUNAI", "RM 10.00"),
                Line("BAKI", "RM 3.70"),
                Line("TERIMA KASIH", center=True),
            ],
            {"company": "KEDAI RUNCIT SRI MAJU SDN BHD",
             "address": "NO 12, JALAN MAWAR 3, TAMAN MELATI, 53100 KUALA LUMPUR.",
             "date": "2018-02-05", "total": "6.30", "paid": "10.00", "change": "3.70", "currency": "MYR"},
        ),
        _locale_receipt(
            "en_US",
            [
                Line("BLUE RIVER DINER", center=True, bold=True),
                Line("418 MAIN STREET", center=True),
                Line("SPRINGFIELD, IL 62701", center=True),
                Line("(217) 555-0142", center=True),
                Line("-"),
                Line("03/04/2023", "7:15 PM"),
                Line("2 PANCAKES", "9.50"),
                Line("COFFEE", "2.75"),
                Line("-"),
                Line("SUBTOTAL", "12.25"),
                Line("SALES TAX", "1.07"),
                Line("TOTAL", "$13.32", bold=True),
                Line("CASH", "$20.00"),
                Line("CHANGE", "$6.68"),
                Line("THANK YOU", center=True),
            ],
            {"company": "BLUE RIVER DINER", "address": "418 MAIN STREET SPRINGFIELD, IL 62701",
             "date": "2023-03-04", "subtotal": "12.25", "tax": "1.07", "total": "13.32", "paid": "20.00",
             "change": "6.68", "currency": "USD"},
        ),
        _locale_receipt(
            "en_GB",
            [
                Line("THE CORNER BAKERY LTD", center=True, bold=True),
                Line("27 HIGH STREET", center=True),
                Line("OXFORD OX1 4AH", center=True),
                Line("VAT NO 123 4567 89", center=True),
                Line("-"),
                Line("04/03/2023", "09:12"),
                Line("SAUSAGE ROLL", "2.40"),
                Line("FLAT WHITE", "3.10"),
                Line("-"),
                Line("TOTAL", "£5.50", bold=True),
                Line("CASH", "£10.00"),
                Line("CHANGE", "£4.50"),
                Line("-"),
                Line("VAT SUMMARY", center=True),
                Line("VAT 20%", "0.92"),
            ],
            {"company": "THE CORNER BAKERY LTD", "address": "27 HIGH STREET OXFORD OX1 4AH",
             "date": "2023-03-04", "total": "5.50", "paid": "10.00", "change": "4.50", "currency": "GBP"},
        ),
        _locale_receipt(
            "fr_FR",
            [
                Line("BOULANGERIE DU MARCHE SARL", center=True, bold=True),
                Line("14 RUE DE LA PAIX", center=True),
                Line("75002 PARIS", center=True),
                Line("SIRET 123 456 789 00012", center=True),
                Line("-"),
                Line("21/06/2023", "08:05"),
                Line("BAGUETTE", "1,10"),
                Line("CROISSANT X2", "2,60"),
                Line("-"),
                Line("TOTAL TTC", "3,70 EUR", bold=True),
                Line("ESPECES", "5,00"),
                Line("RENDU", "1,30"),
                Line("-"),
                Line("TAUX   HT    TVA   TTC"),
                Line("5,5%   3,51  0,19  3,70"),
                Line("MERCI DE VOTRE VISITE", center=True),
            ],
            {"company": "BOULANGERIE DU MARCHE SARL", "address": "14 RUE DE LA PAIX 75002 PARIS",
             "date": "2023-06-21", "total": "3.70", "paid": "5.00", "change": "1.30", "currency": "EUR"},
        ),
        _locale_receipt(
            "es_ES",
            [
                Line("CAFETERIA LA PLAZA S.L.", center=True, bold=True),
                Line("CALLE MAYOR 8", center=True),
                Line("28013 MADRID", center=True),
                Line("CIF B12345678", center=True),
                Line("FACTURA SIMPLIFICADA", center=True),
                Line("-"),
                Line("FECHA 02/11/2023", "HORA 13:40"),
                Line("CAFE CON LECHE", "1,80"),
                Line("TOSTADA", "2,50"),
                Line("-"),
                Line("TOTAL", "4,30 EUR", bold=True),
                Line("EFECTIVO", "10,00"),
                Line("CAMBIO", "5,70"),
                Line("BASE IMPONIBLE 3,91   IVA 10% 0,39"),
                Line("GRACIAS POR SU VISITA", center=True),
            ],
            {"company": "CAFETERIA LA PLAZA S.L.", "address": "CALLE MAYOR 8 28013 MADRID",
             "date": "2023-11-02", "total": "4.30", "paid": "10.00", "change": "5.70", "currency": "EUR"},
        ),
        _locale_receipt(
            "it_IT",
            [
                Line("BAR PASTICCERIA ROMA S.R.L.", center=True, bold=True),
                Line("VIA GARIBALDI 21", center=True),
                Line("00153 ROMA", center=True),
                Line("P.IVA 01234567890", center=True),
                Line("DOCUMENTO COMMERCIALE", center=True),
                Line("-"),
                Line("CAPPUCCINO", "1,50"),
                Line("CORNETTO", "1,20"),
                Line("-"),
                Line("TOTALE COMPLESSIVO", "2,70", bold=True),
                Line("DI CUI IVA", "0,25"),
                Line("PAGAMENTO CONTANTE", "5,00"),
                Line("RESTO", "2,30"),
                Line("15-09-2023", "09:31"),
                Line("GRAZIE E ARRIVEDERCI", center=True),
            ],
            {"company": "BAR PASTICCERIA ROMA S.R.L.", "address": "VIA GARIBALDI 21 00153 ROMA",
             "date": "2023-09-15", "total": "2.70", "paid": "5.00", "change": "2.30"},
        ),
        _locale_receipt(
            "nl_NL",
            [
                Line("BAKKERIJ DE ZON B.V.", center=True, bold=True),
                Line("Kerkstraat 5", center=True),
                Line("1017 GB Amsterdam", center=True),
                Line("KVK 12345678", center=True),
                Line("-"),
                Line("12-05-2023", "16:20"),
                Line("Bruin brood", "2,95"),
                Line("Appeltaart", "3,50"),
                Line("-"),
                Line("TOTAAL", "6,45", bold=True),
                Line("CONTANT", "10,00"),
                Line("WISSELGELD", "3,55"),
                Line("BTW 9% over 5,92", "0,53"),
                Line("Bedankt en tot ziens", center=True),
            ],
            {"company": "BAKKERIJ DE ZON B.V.", "address": "Kerkstraat 5 1017 GB Amsterdam",
             "date": "2023-05-12", "total": "6.45", "paid": "10.00", "change": "3.55"},
        ),
        _locale_receipt(
            "id_ID",
            [
                Line("TOKO SERBA ADA", center=True, bold=True),
                Line("JL. MERDEKA NO. 45", center=True),
                Line("BANDUNG 40111", center=True),
                Line("NPWP 01.234.567.8-901.000", center=True),
                Line("-"),
                Line("TGL 17/08/2023", "JAM 11:02"),
                Line("GULA PASIR 1KG", "15.500"),
                Line("MINYAK GORENG", "32.000"),
                Line("-"),
                Line("TOTAL BAYAR", "47.500", bold=True),
                Line("TUNAI", "50.000"),
                Line("KEMBALIAN", "2.500"),
                Line("TERIMA KASIH", center=True),
            ],
            {"company": "TOKO SERBA ADA", "address": "JL. MERDEKA NO. 45 BANDUNG 40111",
             "date": "2023-08-17", "total": "47500.00", "paid": "50000.00", "change": "2500.00"},
        ),
    ]


def draw_logo(img: np.ndarray) -> np.ndarray:
    """A brand mark drawn as a picture above the receipt: a black disc with white strokes, no text."""
    h, w = 150, img.shape[1]
    band = np.full((h, w), 255, np.uint8)
    cx, cy = w // 2, h // 2
    cv2.circle(band, (cx, cy), 60, 0, -1)
    cv2.ellipse(band, (cx, cy), (38, 22), 20, 0, 360, 255, 9)
    cv2.line(band, (cx - 30, cy + 35), (cx + 35, cy - 30), 255, 7)
    return np.vstack([band, img])


def write_locale(receipt: Receipt, out: Path, seed: int) -> None:
    expected = {k: v for k, v in receipt.expected.items() if k != "_logo"}
    img = render(receipt)
    if "_logo" in receipt.expected:
        img = draw_logo(img)
    img = degrade(img, receipt.degrade, seed)
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / f"{receipt.name}.png"), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    (out / f"{receipt.name}.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--count", type=int, default=0, help="make this many random receipts instead")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.count:
        rng = random.Random(args.seed)
        for i in range(args.count):
            write(random_receipt(i, rng), args.out, args.seed * 1_000_003 + i)
        print(f"made {args.count} receipts in {args.out}")
        return
    for n, receipt in enumerate(fixed_samples()):
        write(receipt, args.out, args.seed + n)
    print(f"made {len(fixed_samples())} samples in {args.out}")
    from form_samples import write_forms  # beside this script: the filled forms and their zonal template

    forms = args.out.parent / "sample-forms"  # apart from samples/: ingesting that folder reads receipts only
    print(f"made {write_forms(forms)} forms in {forms}")
    for n, receipt in enumerate(locale_samples()):
        write_locale(receipt, args.out.parent / LOCALE_DIR, args.seed + 100 + n)
    print(f"made {len(locale_samples())} locale samples in {args.out.parent / LOCALE_DIR}")


if __name__ == "__main__":
    main()
