"""Image corrector steps on synthetic pages rendered here (no research data)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from icr.errors import ConfigError
from icr.imaging.corrector import ORDER, STEPS, NoopCorrector, OpenCVCorrector
from icr.imaging.steps import (
    background,
    border,
    crop,
    deskew,
    estimate_skew,
    lines,
    reduce,
    rescale,
    rotate,
    text_height,
)
from icr.imaging.steps.background import sauvola
from icr.imaging.steps.crop import order_corners
from icr.imaging.steps.orientation import turn
from icr.imaging.steps.util import u8
from icr.types import Page

TEXT = [
    "SUPERMARKET SDN BHD",
    "NO 12 JALAN BESAR 81100",
    "INVOICE 000123 CASH",
    "MILK 2L          7.90",
    "BREAD            3.50",
    "EGGS 10          5.20",
    "TOTAL RM        16.60",
    "THANK YOU COME AGAIN",
]


def page(lines_of_text: list[str] = TEXT, scale: float = 1.0, width: int = 900) -> np.ndarray:
    """A white page with black text, capitals about 22*scale px tall."""
    h = int((120 + 70 * len(lines_of_text)) * scale)
    img = np.full((h, int(width * scale)), 255, np.uint8)
    for i, t in enumerate(lines_of_text):
        y = int((100 + 70 * i) * scale)
        cv2.putText(img, t, (int(40 * scale), y), cv2.FONT_HERSHEY_SIMPLEX, 1.0 * scale, 0, max(1, int(2 * scale)))
    return img


@pytest.mark.parametrize("angle", [-12.0, -7.0, -3.0, 1.2, 4.5, 10.0, 14.0])
def test_deskew_recovers_a_known_rotation_within_half_a_degree(angle: float) -> None:
    # rotate(img, a) turns counter-clockwise: the text then rises to the right by a degrees.
    skewed = rotate(page(), angle)
    assert estimate_skew(skewed) == pytest.approx(angle, abs=0.5)
    straight, info = deskew(skewed, {})
    assert info["skew_degrees"] == pytest.approx(angle, abs=0.5)
    assert abs(estimate_skew(straight)) < 0.5


@pytest.mark.parametrize("angle", [-35.0, 22.0])
def test_a_photo_taken_at_a_slant_is_levelled_within_the_profile_s_reach(angle: float) -> None:
    from icr.config import load_settings

    reach = float(load_settings(profile="accurate").get("image_corrector", "max_skew"))
    assert reach > abs(angle)
    skewed = rotate(page(), angle)
    straight, info = deskew(skewed, {"max_skew": reach})
    assert info["skew_degrees"] == pytest.approx(angle, abs=0.5)
    assert abs(estimate_skew(straight)) < 0.5
    assert abs(deskew(skewed, {})[1]["skew_degrees"] - angle) > 5  # the default reach stops at 15 degrees


def test_deskew_leaves_a_straight_page_alone() -> None:
    img = page()
    out, info = deskew(img, {})
    assert out is img
    assert abs(info["skew_degrees"]) < 0.3


def test_rotate_keeps_every_corner() -> None:
    img = np.zeros((100, 300), np.uint8)
    out = rotate(img, 10)
    # The black rectangle must stay whole: its area is unchanged (within interpolation).
    assert abs(int(np.count_nonzero(out < 128)) - 300 * 100) < 0.03 * 300 * 100


def test_border_removal_whitens_black_scanner_bands_and_keeps_text() -> None:
    img = page()
    h, w = img.shape
    framed = u8(cv2.copyMakeBorder(img, 30, 20, 25, 40, cv2.BORDER_CONSTANT, value=10))
    # A skewed dark wedge along the left edge, as a lid shadow makes.
    cv2.fillPoly(framed, [np.array([[25, 30], [60, 30], [25, 300]])], 15)
    out, info = border(framed, {})
    assert info["border_fraction"] > 0.05
    inner = out[30 : 30 + h, 25 : 25 + w]
    assert out[:30].min() == 255 and out[-20:].min() == 255
    assert out[:, :25].min() == 255 and out[:, -40:].min() == 255
    assert out[30:300, 25:60].mean() > 240
    # The text is still there, pixel for pixel, away from the wedge.
    assert np.array_equal(inner[:, 60:], img[:, 60:])


def test_border_removal_keeps_rules_and_text_that_touch_a_dark_surround() -> None:
    # A dark table around the page with ruling lines running out of it across the text: the
    # surround goes, the rules (the lines step's job) and the letters on them stay.
    img = page()
    h, w = img.shape
    ruled = _grid(img)
    cv2.fillPoly(ruled, [np.array([[0, h // 3], [400, h], [0, h]])], 15)  # a dark desk in a corner
    out, info = border(ruled, {})
    assert info["border_applied"] == 1.0
    assert out[h - 40 :, :200].mean() > 240  # the desk is gone
    inner = (slice(0, h // 3), slice(60, w - 40))
    assert np.array_equal(out[inner], ruled[inner])  # the page, rules and letters, untouched


def test_border_removal_leaves_a_clean_page_alone() -> None:
    img = page()
    out, info = border(img, {})
    assert info["border_fraction"] == 0.0
    assert out is img


def _grid(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    h, w = out.shape
    for y in range(60, h, 70):  # a rule under every text line, touching the baselines
        cv2.line(out, (0, y + 43), (w - 1, y + 43), 0, 2)
    for x in (20, 520, w - 20):
        cv2.line(out, (x, 0), (x, h - 1), 0, 2)
    return out


@pytest.mark.parametrize("fill", ["inpaint", "white"])
def test_line_removal_removes_rules_and_keeps_letters(fill: str) -> None:
    img = page()
    ruled = _grid(img)
    out, info = lines(ruled, {"lines_fill": fill})
    assert info["lines_removed"] >= 5
    ink_before, ink_ruled, ink_after = (int(np.count_nonzero(x < 128)) for x in (img, ruled, out))
    # Nearly all rule ink is gone, nearly all letter ink stays.
    assert ink_after < ink_before + 0.1 * (ink_ruled - ink_before)
    text_kept = np.count_nonzero((img < 128) & (out < 128)) / ink_before
    assert text_kept > 0.93


def test_border_removal_keeps_a_thin_grid_drawn_to_the_frame() -> None:
    # Small print on a large scan (letters a few pixels tall on the reduced copy the border is
    # found on, rules as thick there as 0.4 letter) with a table grid and a frame rule near the
    # edge: the frame is a band, but the grid running out of it is no border, nor the letters on it.
    img = page(scale=0.55, width=4400)
    h, w = img.shape
    ruled = img.copy()
    for y in range(30, h, 40):
        cv2.line(ruled, (0, y), (w - 1, y), 0, 5)
    for x in (w // 3, 2 * w // 3):
        cv2.line(ruled, (x, 0), (x, h - 1), 0, 5)
    cv2.rectangle(ruled, (3, 3), (w - 4, h - 4), 0, 5)
    out, _ = border(ruled, {})
    inner = (slice(12, h - 12), slice(12, w - 12))
    assert np.array_equal(out[inner], ruled[inner])


def test_deskew_keeps_a_level_page_when_the_line_boxes_mislead(monkeypatch: pytest.MonkeyPatch) -> None:
    # On a ruled page the text lines' boxes can be cut short by the rules and lean (a real
    # receipt gave -3.9 degrees for level text); the projection profile must still find it level.
    deskew_module = importlib.import_module("icr.imaging.steps.deskew")  # the package exports the function
    monkeypatch.setattr(deskew_module, "_coarse_angle", lambda binary, max_angle: -3.9)
    img = _grid(page())
    assert abs(estimate_skew(img)) < 0.3
    out, _ = deskew(img, {"min_skew": 1.0})
    assert out is img


def test_line_removal_leaves_no_dotted_trace_of_a_resampled_rule() -> None:
    # A grid scanned tilted and straightened again: the rules' edges are grey and uneven, and
    # what is left of them must not read as a dotted line or a column of "|".
    img = page()
    ruled = rotate(rotate(_grid(img), 3.0), -3.0)
    h, w = img.shape
    oy, ox = (ruled.shape[0] - h) // 2, (ruled.shape[1] - w) // 2
    out, info = lines(ruled, {})
    assert info["lines_applied"] == 1.0
    back = out[oy : oy + h, ox : ox + w]
    # Along the vertical rule at x = 520, away from the letters: no pixel darker than light grey.
    assert back[:, 515:526].min() > 150 or np.count_nonzero(back[:, 515:526] < 150) < 0.01 * h * 11
    # Along the rules under the text lines: nothing left but a faint trace.
    for y in range(60, h - 60, 70):
        assert np.count_nonzero(back[y + 40 : y + 47, 600 : w - 40] < 150) < 0.02 * 7 * (w - 640)


def test_line_removal_touches_only_the_rule_where_it_runs_along_letter_tops() -> None:
    # A rule over the top edge of the capitals (rows 78..100): the letters below it keep every
    # pixel (whitening a rule grown by a pixel, or its blurred rim, cost letters their tops).
    img = page(["TOTAL 16.60 EFT"])
    cv2.line(img, (20, 77), (880, 77), 0, 3)
    out, info = lines(img, {"lines_need_grid": False})
    assert info["lines_applied"] == 1.0
    assert np.array_equal(out[80:], img[80:])
    assert out[75:80, 300:880].min() > 200  # the rule is gone past the letters


def test_line_removal_keeps_letters_on_an_underline() -> None:
    img = page(["TOTAL 16.60"])
    # A strike-through rule across the middle of the capitals (rows 78..100): every stroke crosses it.
    cv2.line(img, (20, 89), (880, 89), 0, 3)
    out, info = lines(img, {"lines_need_grid": False})
    assert info["lines_removed"] >= 1
    # The stem of the "T" stays connected across the rule's rows.
    assert (out[82:97, 44:60] < 128).any(axis=1).all()
    # The rule itself is gone away from the letters.
    assert out[86:93, 400:880].min() > 200


@pytest.mark.parametrize("with_perspective", [False, True])
def test_crop_cuts_a_receipt_out_of_a_dark_desk(with_perspective: bool) -> None:
    receipt = cv2.cvtColor(page(), cv2.COLOR_GRAY2BGR)
    rh, rw = receipt.shape[:2]
    rng = np.random.default_rng(3)
    desk = np.clip(rng.normal(70, 12, (rh * 2, rw * 2, 3)), 0, 255).astype(np.uint8)
    desk[..., 2] = np.clip(desk[..., 2].astype(int) + 30, 0, 255).astype(np.uint8)
    ox, oy = rw // 2, rh // 2
    dst = np.array([[ox, oy], [ox + rw, oy], [ox + rw, oy + rh], [ox, oy + rh]], np.float32)
    if with_perspective:
        dst += np.array([[40, 30], [-35, 10], [20, -25], [-30, 15]], np.float32)
    m = cv2.getPerspectiveTransform(np.array([[0, 0], [rw - 1, 0], [rw - 1, rh - 1], [0, rh - 1]], np.float32), dst)
    paper = cv2.warpPerspective(receipt, m, desk.shape[1::-1])
    mask = cv2.warpPerspective(np.full((rh, rw), 255, np.uint8), m, desk.shape[1::-1])
    photo = np.where(mask[..., None] > 0, paper, desk)
    out, info = crop(photo, {})
    assert info["cropped"] == 1.0
    # A page lying straight is cut out as it is; only a tilted quadrilateral is warped.
    assert info["perspective"] == float(with_perspective)
    gray = u8(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY))
    # The result is the receipt: about its size, no desk left, text straight.
    assert abs(gray.shape[0] - rh) < 0.1 * rh and abs(gray.shape[1] - rw) < 0.12 * rw
    assert np.percentile(gray[5:-5, 5:-5], 10) > 200 or (gray < 100).mean() < 0.08
    assert (gray[:8].mean() > 200) and (gray[-8:].mean() > 200)
    assert abs(estimate_skew(gray)) < 1.0


def test_crop_finds_a_shadowed_receipt_on_a_wooden_desk() -> None:
    # A shadow darkens the top of the page to the desk's grey level; the desk's colour tells them apart.
    receipt = cv2.cvtColor(page(), cv2.COLOR_GRAY2BGR).astype(np.float32)
    rh, rw = receipt.shape[:2]
    light = np.linspace(0.35, 1.0, rh, dtype=np.float32)[:, None, None]
    receipt = (receipt * light).astype(np.uint8)
    desk = np.zeros((rh * 2, rw * 2, 3), np.uint8)
    desk[:] = (40, 75, 120)  # brown wood (BGR)
    ox, oy = rw // 2, rh // 2
    dst = np.array([[ox + 30, oy + 20], [ox + rw - 25, oy], [ox + rw, oy + rh - 10], [ox, oy + rh]], np.float32)
    m = cv2.getPerspectiveTransform(np.array([[0, 0], [rw - 1, 0], [rw - 1, rh - 1], [0, rh - 1]], np.float32), dst)
    paper = cv2.warpPerspective(receipt, m, desk.shape[1::-1])
    mask = cv2.warpPerspective(np.full((rh, rw), 255, np.uint8), m, desk.shape[1::-1])
    photo = np.where(mask[..., None] > 0, paper, desk)
    out, info = crop(photo, {})
    assert info["cropped"] == 1.0 and info["perspective"] == 1.0
    # The whole page, its dark top included: about the receipt's size.
    assert abs(out.shape[0] - rh) < 0.08 * rh and abs(out.shape[1] - rw) < 0.08 * rw


def test_crop_cuts_a_straight_page_without_resampling_it() -> None:
    img = page()
    framed = u8(cv2.copyMakeBorder(img, 60, 50, 70, 40, cv2.BORDER_CONSTANT, value=20))
    out, info = crop(framed, {})
    assert info["cropped"] == 1.0 and info["perspective"] == 0.0
    # The page's own pixels, not an interpolated copy of them.
    ys, xs = np.nonzero(out < 100)
    assert np.array_equal(out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], _ink_box(img))


def test_crop_keeps_every_receipt_laid_side_by_side_on_a_dark_bed() -> None:
    # under an open scanner lid: two receipts, the second a little smaller; cutting out the larger
    # alone would lose the other with its text
    first, second = page(), page(scale=0.8)
    bed = np.full((max(first.shape[0], second.shape[0]) + 120, first.shape[1] + second.shape[1] + 180), 35, np.uint8)
    bed[60 : 60 + first.shape[0], 60 : 60 + first.shape[1]] = first
    x = 120 + first.shape[1]
    bed[60 : 60 + second.shape[0], x : x + second.shape[1]] = second
    out, info = crop(bed, {})
    assert info["cropped"] == 1.0 and info["perspective"] == 0.0
    assert out.shape[1] >= first.shape[1] + second.shape[1] + 60  # both, and the gap between them
    # a second region under the share asked for is no paper: the larger alone is cut out
    _, alone = crop(bed, {"crop_paper_share": 0.9})
    assert alone["crop_fraction"] < 0.7 * info["crop_fraction"]


def _ink_box(img: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(img < 100)
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def test_crop_leaves_a_plain_scan_alone() -> None:
    img = page()
    out, info = crop(img, {})
    assert info["cropped"] == 0.0 and out is img


def test_order_corners() -> None:
    pts = np.array([[100, 90], [5, 110], [0, 0], [95, 5]], np.float32)
    assert order_corners(pts).tolist() == [[0, 0], [95, 5], [100, 90], [5, 110]]


def test_background_flattens_a_shadow() -> None:
    img = page()
    h, w = img.shape
    light = np.linspace(1.0, 0.35, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    shaded = (img.astype(np.float32) * light).astype(np.uint8)
    out, _ = background(shaded, {"binarize": "none"})
    paper = img == 255
    # Paper is white again across the page; the text stays dark.
    assert np.percentile(out[paper], 5) > 200
    assert np.median(out[img == 0]) < 100
    binary, _ = background(shaded, {"binarize": "sauvola"})
    assert set(np.unique(binary).tolist()) <= {0, 255}
    assert (binary[paper] == 255).mean() > 0.98


def test_sauvola_is_binary() -> None:
    img = page()
    out = sauvola(img, 25)
    assert out.dtype == np.uint8 and set(np.unique(out).tolist()) <= {0, 255}


def test_rescale_brings_small_text_to_the_target_height() -> None:
    small = u8(cv2.resize(page(), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    before = text_height(small)
    out, info = rescale(small, {"target_text_height": 30})
    assert info["scale"] > 1.2
    assert text_height(out) == pytest.approx(min(30.0, before * 4), rel=0.2)


def test_rescale_limits_huge_images() -> None:
    img = np.full((6000, 500), 255, np.uint8)
    out, info = rescale(img, {"max_side": 4000})
    assert max(out.shape) <= 4000 and info["scale"] < 1


def test_reduce_shrinks_only_huge_pages_with_tall_letters() -> None:
    huge = page(scale=5.0)  # capitals about 110 px, 4500 px wide
    out, info = reduce(huge, {"target_text_height": 30})
    assert info["reduce_applied"] == 1.0 and max(out.shape) < 2000
    assert text_height(out) == pytest.approx(30.0, rel=0.25)
    small = page(scale=3.0)  # the same letters on a page under reduce_min_side
    assert reduce(small, {"target_text_height": 30})[0] is small
    fine = np.full((5000, 3000), 255, np.uint8)  # huge, but its letters are already small
    text = page(scale=0.75)
    fine[200 : 200 + text.shape[0], : text.shape[1]] = text
    assert reduce(fine, {"target_text_height": 30})[1] == {
        "reduce_applied": 0.0,
        "text_height": pytest.approx(16, abs=3),
    }


def test_turn_is_clockwise() -> None:
    img = np.zeros((2, 3), np.uint8)
    img[0, 0] = 255
    assert turn(img, 90).shape == (3, 2) and turn(img, 90)[0, 1] == 255
    assert turn(img, 180)[1, 2] == 255
    assert turn(img, 270)[2, 0] == 255


def test_corrector_times_every_step_and_returns_gray_uint8() -> None:
    bgr = u8(cv2.cvtColor(rotate(page(), 4.0), cv2.COLOR_GRAY2BGR))
    steps = [s for s in ORDER if s != "orientation"]
    out = OpenCVCorrector({"steps": steps}).correct(Page(bgr, number=2))
    assert out.steps == steps
    assert set(out.timings) == set(steps)
    assert all(t >= 0 for t in out.timings.values())
    assert out.image.ndim == 2 and out.image.dtype == np.uint8
    assert out.number == 2
    assert out.info["skew_degrees"] == pytest.approx(4.0, abs=0.5)


def test_corrector_uses_given_steps_over_config() -> None:
    out = OpenCVCorrector({"steps": ["deskew"]}).correct(Page(page()), ["grayscale"])
    assert out.steps == ["grayscale"]


def test_unknown_step_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown image corrector step 'sharpen'"):
        OpenCVCorrector({}).correct(Page(page()), ["sharpen"])


@pytest.mark.parametrize("shape", [(12, 20000), (20000, 12), (9, 9000), (40, 30000)])
def test_every_step_runs_on_a_strip_thinner_than_the_analysis_reduction(shape: tuple[int, int]) -> None:
    # 20,000 px long needs a 25-fold reduction for the analysis copy: a 12 px side must not vanish.
    from icr.config import load_settings

    strip = np.full(shape, 255, np.uint8)
    strip[shape[0] // 3 : shape[0] // 2, shape[1] // 3 : shape[1] // 2] = 0
    for profile in ("accurate", "fast"):
        options = load_settings(profile=profile).section("image_corrector")
        out = OpenCVCorrector(options).correct(Page(strip), list(ORDER))
        assert out.steps == list(ORDER) and out.image.size > 0, profile


def test_noop_corrector_only_converts_to_gray() -> None:
    bgr = u8(cv2.cvtColor(page(), cv2.COLOR_GRAY2BGR))
    out = NoopCorrector({}).correct(Page(bgr))
    assert out.image.ndim == 2 and out.steps == [] and out.timings == {}


def test_every_registered_step_runs_on_a_blank_page() -> None:
    blank = np.full((300, 200), 255, np.uint8)
    for name, step in STEPS.items():
        if name == "orientation":
            continue
        out, info = step(blank, {})
        assert out.dtype == np.uint8, name
        assert isinstance(info, dict)


# --- Gates: a step looks at a small copy first and leaves a page that does not need it alone. ---


def _shadowed(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    light = np.linspace(1.0, 0.4, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    return (img.astype(np.float32) * light).astype(np.uint8)


def _on_desk(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    desk = np.full((h * 2, w * 2), 60, np.uint8)
    desk[h // 2 : h // 2 + h, w // 2 : w // 2 + w] = img
    return desk


def _faded(img: np.ndarray) -> np.ndarray:
    return (255 - (255 - img.astype(np.float32)) * 0.3).astype(np.uint8)  # ink at 178 on white paper


@pytest.mark.parametrize("name", ["crop", "border", "background", "contrast", "lines"])
def test_gate_passes_a_clean_page_through_untouched(name: str) -> None:
    img = page()
    out, info = STEPS[name](img, {})
    assert info[f"{name}_applied"] == 0.0
    assert out is img


@pytest.mark.parametrize(
    ("name", "spoil"),
    [
        ("crop", _on_desk),
        ("border", lambda img: cv2.copyMakeBorder(img, 25, 25, 30, 30, cv2.BORDER_CONSTANT, value=15)),
        ("background", _shadowed),
        ("contrast", _faded),
        ("lines", _grid),
    ],
)
def test_gate_lets_the_step_run_on_a_page_that_needs_it(name: str, spoil: Callable[[np.ndarray], np.ndarray]) -> None:
    img = spoil(page())
    out, info = STEPS[name](img, {})
    assert info[f"{name}_applied"] == 1.0
    assert out is not img and not np.array_equal(out, img)


def test_border_gate_ignores_letters_cut_by_the_edge() -> None:
    # A tightly cropped scan: the text runs off the left and right edges.
    img = page()[:, 45:-400]
    out, info = border(img, {})
    assert info["border_applied"] == 0.0 and out is img


def test_background_gate_measures_unevenness() -> None:
    from icr.imaging.steps.background import unevenness

    assert unevenness(page()) < 0.05
    assert unevenness(_shadowed(page())) > 0.3


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_orientation_geometry_decides_without_tesseract(degrees: int) -> None:
    from icr.imaging.steps import orientation

    img = page()
    lying = turn(img, degrees)
    # "geometry" never calls Tesseract: the page must be settled by the cues alone.
    out, info = orientation(lying, {"orientation_method": "geometry"})
    assert info["orientation_probe"] == 0.0
    assert info["rotation"] == (360 - degrees) % 360
    assert info["orientation_applied"] == float(degrees != 0)
    assert np.array_equal(out, img)


@pytest.mark.parametrize("tilt", [9, 12])
def test_orientation_decides_an_upside_down_page_that_is_also_tilted(tilt: int) -> None:
    # A photographed receipt upside down: the cues are read on a straightened copy; the page is
    # only turned (deskew, the next step, straightens it).
    from icr.imaging.steps import orientation

    tilted = rotate(turn(page(), 180), tilt)
    out, info = orientation(tilted, {"orientation_method": "geometry"})
    assert info["rotation"] == 180 and out.shape == tilted.shape
    _, before = orientation(tilted, {"orientation_method": "geometry", "orientation_straighten": False})
    assert before["rotation"] == 0  # undecided without straightening


def test_orientation_geometry_keeps_a_page_without_dots_or_letters() -> None:
    from icr.imaging.steps import orientation

    blank = np.full((400, 300), 255, np.uint8)
    out, info = orientation(blank, {"orientation_method": "geometry"})
    assert info["rotation"] == 0 and info["orientation_probe"] == 0.0 and out is blank


def test_lines_gate_leaves_a_lone_separator_alone() -> None:
    # A receipt's own separator: one rule across the page, no rule down it.
    img = page()
    cv2.line(img, (20, 125), (880, 125), 0, 3)  # between two text lines
    out, info = lines(img, {})
    assert info["lines_applied"] == 0.0 and out is img
    out, info = lines(img, {"lines_need_grid": False})
    assert info["lines_applied"] == 1.0 and out[122:129, 20:880].min() > 200


def test_contrast_darkens_faint_ink_and_keeps_the_paper_white() -> None:
    from icr.imaging.steps import contrast

    clean = page()
    faint = _faded(clean)
    out, info = contrast(faint, {})
    assert info["contrast_applied"] == 1.0 and info["contrast_gain"] == pytest.approx(200 / 77, abs=0.05)
    text = clean < 100
    assert np.median(out[text]) < 60 and np.median(faint[text]) > 170  # the strokes dark again
    assert (out[clean == 255] == 255).all()  # the paper stays white
    capped, info = contrast(faint, {"contrast_max_gain": 1.5})
    assert info["contrast_gain"] == 1.5 and np.median(capped[text]) > np.median(out[text])
    off, info = contrast(faint, {"contrast_gate": 0})
    assert info["contrast_applied"] == 0.0 and off is faint


def test_smooth_joins_a_dotted_stroke_before_tesseracts_threshold() -> None:
    from icr.imaging.steps import smooth

    # a dot-matrix bar: 2 px dots with 1 px gaps, grey on a noisy light paper
    rng = np.random.default_rng(3)
    img = np.clip(rng.normal(225, 12, (40, 120)), 0, 255).astype(np.uint8)
    for x in range(10, 110, 3):
        img[18:20, x : x + 2] = 90
    out, info = smooth(img, {})
    assert info["smooth_applied"] == 1.0 and out.shape == img.shape and out.dtype == np.uint8

    def pieces(gray: np.ndarray) -> int:
        binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
        return int(cv2.connectedComponents(binary[15:23])[0]) - 1

    assert pieces(img) > 20 and pieces(out) == 1


def test_smooth_leaves_a_binarized_page_alone_and_can_be_switched_off() -> None:
    from icr.imaging.steps import smooth

    binary = np.where(page() < 128, 0, 255).astype(np.uint8)
    out, info = smooth(binary, {})
    assert info["smooth_applied"] == 0.0 and out is binary
    gray = page()
    out, info = smooth(gray, {"smooth_sigma": 0})
    assert info["smooth_applied"] == 0.0 and out is gray


def test_the_analysis_copy_averages_whole_blocks_of_an_odd_sized_page() -> None:
    from icr.imaging.steps.util import analysis_copy

    rng = np.random.default_rng(3)
    page = u8(rng.integers(0, 256, (2333, 835), dtype=np.uint8))
    small, factor = analysis_copy(page, 800)
    assert factor == pytest.approx(1 / 3) and small.shape == (2333 // 3, 835 // 3)
    blocks = page[:2331, :834].reshape(777, 3, 278, 3).mean(axis=(1, 3))
    assert np.abs(small.astype(float) - blocks).max() <= 1  # each pixel the mean of its own 3 x 3 block
    colour, _ = analysis_copy(np.dstack([page] * 3), 800, gray=False)
    assert colour.shape == (777, 278, 3)


def _scripted_probe(monkeypatch: pytest.MonkeyPatch, scores: dict[int, int]) -> list[int]:
    """Make the orientation probe score each turn as given (the probe is turned by ``turn``; the
    score is looked up by how many quarter turns the sample has had)."""
    mod = importlib.import_module("icr.imaging.steps.orientation")
    asked: list[int] = []
    turned: dict[int, int] = {}
    real_turn = mod.turn

    def fake_turn(image, clockwise):  # type: ignore[no-untyped-def]
        out = real_turn(image, clockwise).copy()
        turned[id(out)] = clockwise % 360
        return out

    def fake_score(image, timeout=20.0):  # type: ignore[no-untyped-def]
        degrees = turned.get(id(image), 0)
        asked.append(degrees)
        return scores[degrees]

    monkeypatch.setattr(mod, "turn", fake_turn)
    monkeypatch.setattr(mod, "reading_score", fake_score)
    return asked


def test_a_page_on_its_side_turns_to_the_side_read_better_however_faint(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = importlib.import_module("icr.imaging.steps.orientation")
    gray = page()
    _scripted_probe(monkeypatch, {90: 4, 270: 11})
    assert mod.detect_by_reading(gray, {}, (90, 270))[0] == 270  # below min_score, still the better side
    _scripted_probe(monkeypatch, {90: 0, 270: 0})
    assert mod.detect_by_reading(gray, {}, (90, 270))[0] == 0  # nothing read either way: kept
    _scripted_probe(monkeypatch, {0: 10, 180: 12})
    assert mod.detect_by_reading(gray, {}, (0, 180))[0] == 0  # upright is possible: it must be beaten clearly


def test_settling_an_unconvincing_page_compares_every_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = importlib.import_module("icr.imaging.steps.orientation")
    asked = _scripted_probe(monkeypatch, {0: 56, 90: 200, 180: 3, 270: 20})
    words = [("tEXt", 30.0)] * 200  # the page as it is: many letters, few confident
    never_decided = {"min_dots": 10**9, "min_votes": 10**9, "min_share": 1.01}  # the geometry leaves all four open
    degrees, probed = mod.settle(words, never_decided, lambda: page())
    assert probed and degrees == 90 and sorted(asked) == [0, 90, 180, 270]
    # a convincing reading settles it without the probe
    asked.clear()
    assert mod.settle([("TOTAL", 95.0)] * 40, never_decided, lambda: page()) == (0, False) and not asked


def test_a_surely_read_page_is_upright_only_at_the_profile_s_confidence() -> None:
    from icr.config import load_settings
    from icr.imaging.steps.orientation import reads_upright

    # The neural engine on an upside-down photo: most words read, few of them surely.
    upside_down = [("TOTAL", 80.0), ("CASH", 75.0), ("AMOUNT", 97.0)] * 20
    upright = [("TOTAL", 99.0), ("CASH", 98.0), ("AMOUNT", 85.0)] * 20
    assert reads_upright(upside_down, {})  # Tesseract's bar (60) lets it through
    accurate = load_settings(profile="accurate").section("image_corrector")
    assert not reads_upright(upside_down, accurate)
    assert reads_upright(upright, accurate)
