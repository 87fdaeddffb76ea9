"""The handwriting recognizer: CTC decoding and grammars (fast, no model), the shipped
model reading words rendered in handwriting fonts it was not trained on, the CLI, and the
training data. (A training step is not tested here: converting PP-OCRv6 to torch alone
takes longer than this file's budget, and CI has no torch.)"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import regex
from click.testing import CliRunner
from rapidfuzz.fuzz import ratio

from icr.cli import main
from icr.errors import EXIT_USAGE, ConfigError
from icr.htr.decode import beam, best_alignment, ctc_log_likelihood, greedy
from icr.htr.evaluate import score
from icr.htr.model import ALPHABET, default_model_dir
from icr.htr.reader import grammars
from icr.htr.render import split_fonts
from icr.metrics import cer

HAS_ORT = importlib.util.find_spec("onnxruntime") is not None
HELD_OUT = split_fonts()[1]
needs_model = pytest.mark.skipif(not HAS_ORT, reason="onnxruntime is not installed (pip install 'icr[htr]')")
needs_fonts = pytest.mark.skipif(
    not HELD_OUT, reason="handwriting fonts absent (apt-get install fonts-humor-sans fonts-sjfonts fonts-femkeklaver)"
)


def frames(text_per_frame: str, alphabet: str = "ab1/", sure: float = 0.9) -> np.ndarray:
    """Probabilities whose best class per frame spells ``text_per_frame`` ('-' is blank)."""
    probs = np.full((len(text_per_frame), len(alphabet) + 1), (1 - sure) / len(alphabet), np.float32)
    for t, ch in enumerate(text_per_frame):
        probs[t, 0 if ch == "-" else alphabet.index(ch) + 1] = sure
    return probs


def test_greedy_merges_repeats_and_drops_blanks() -> None:
    reading = greedy(frames("aa-a-bb--1"), "ab1/")
    assert reading.text == "aab1"
    assert reading.confidence == pytest.approx(0.9, abs=1e-6)
    assert greedy(frames("----"), "ab1/").text == ""


def test_each_word_gets_its_confidence_and_place_along_the_crop() -> None:
    probs = frames("aa-b  1-", "ab1 ")  # frames of 8: "ab" over 0-3, a space, "1" in frame 6
    probs[6] = np.where(np.arange(probs.shape[1]) == 3, 0.6, 0.4 / (probs.shape[1] - 1))  # an unsure "1"
    for reading in (greedy(probs, "ab1 "), beam(probs, "ab1 ", 8), beam(probs, "ab1 ", 8, regex.compile("[ab1 ]+"))):
        assert reading.text == "ab 1"
        ab, one = reading.words
        assert (ab.text, ab.start, ab.end) == ("ab", 0.0, 0.5)
        assert (one.text, one.start, one.end) == ("1", 0.75, 0.875)
        assert ab.confidence == pytest.approx(0.9, abs=1e-6) and one.confidence == pytest.approx(0.6, abs=1e-6)
    # the best path of "ab 1": a, a, blank, b, space, space, 1, blank
    assert best_alignment(np.log(probs), [1, 2, 4, 3]) == [0, 0, -1, 1, 2, 2, 3, -1]


def brute_ctc(probs: np.ndarray, labels: list[int]) -> float:
    """The chance of ``labels`` summed over every frame path that collapses to them (blank is 0)."""
    total = 0.0
    for path in itertools.product(range(probs.shape[1]), repeat=len(probs)):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])]
        if collapsed == labels:
            total += math.prod(probs[t, k] for t, k in enumerate(path))
    return total


def test_ctc_likelihood_sums_every_alignment() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=4)  # 4 frames, blank + 'a' + 'b'
    assert math.exp(ctc_log_likelihood(np.log(probs), [1, 2])) == pytest.approx(brute_ctc(probs, [1, 2]), rel=1e-6)


def test_beam_held_to_a_grammar_reads_digits_where_greedy_reads_a_letter() -> None:
    alphabet = "ab1/"
    probs = frames("1-b-1", alphabet, sure=0.6)
    probs[2] = [0.05, 0.05, 0.5, 0.35, 0.05]  # 'b' first, but '1' close behind
    assert greedy(probs, alphabet).text == "1b1"
    constrained = beam(probs, alphabet, pattern=regex.compile("[0-9]+"))
    assert constrained.text == "111"
    assert 0 < constrained.confidence < 1


def test_beam_with_a_lexicon_keeps_to_its_words() -> None:
    alphabet = "ab1/"
    probs = frames("a-b-b", alphabet, sure=0.5)
    assert beam(probs, alphabet, lexicon=["aba", "ab"]).text == "ab"


def test_a_grammar_forced_onto_letters_gives_a_low_confidence() -> None:
    alphabet = "ab1/"
    probs = frames("a-b", alphabet, sure=0.95)
    reading = beam(probs, alphabet, pattern=regex.compile("[0-9]+"))
    assert regex.fullmatch("[0-9]+", reading.text)
    assert reading.confidence < 0.1 < greedy(probs, alphabet).confidence


def test_unconstrained_beam_reads_each_piece_between_sure_blanks() -> None:
    alphabet = "ab1/"
    probs = frames("a-b-1", alphabet, sure=0.6)
    probs[1] = probs[3] = [0.99996, 0.00001, 0.00001, 0.00001, 0.00001]  # sure blanks cut the frames
    probs[2] = [0.05, 0.05, 0.5, 0.35, 0.05]
    # pieces: 'a' | 'b' or '1' | '1'; each read by its own search, joined
    reading = beam(probs, alphabet)
    assert reading.text == "ab1"
    assert reading.confidence == pytest.approx(math.exp(ctc_log_likelihood(np.log(probs), [1, 2, 3]) / 3))
    sure = frames("aa-a-bb--1", alphabet, sure=0.99999)
    assert beam(sure, alphabet).text == greedy(sure, alphabet).text == "aab1"


def test_ctc_likelihood_of_a_repeated_label_needs_a_blank_between() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(2), size=4)  # blank + 'a'
    assert math.exp(ctc_log_likelihood(np.log(probs), [1, 1])) == pytest.approx(brute_ctc(probs, [1, 1]), rel=1e-6)


def test_config_grammars_compile_and_match_field_values() -> None:
    known = grammars()
    assert known["date"].fullmatch("6/4/90") and known["date"].fullmatch("12-10-84")
    assert known["amount"].fullmatch("$1,234.56") and not known["amount"].fullmatch("12a")
    assert known["digits"].fullmatch("0425") and not known["digits"].fullmatch("04 25")


def test_unknown_grammar_is_a_config_error() -> None:
    from icr.htr.reader import _pattern

    with pytest.raises(ConfigError, match="grammar 'roman'"):
        _pattern("roman")


def test_score_counts_characters_and_exact_words() -> None:
    result = score(["5/3", "9O", "abc"], ["5/3", "90", "abd"])
    assert result.cer == pytest.approx(2 / 8)
    assert result.word_accuracy == pytest.approx(1 / 3)
    assert result.n == 3


def _held_out_words(n: int, seed: int, augment: bool = True) -> list[tuple[np.ndarray, str]]:
    from icr.htr.render import TextSampler, render_sample

    rng = random.Random(seed)
    sampler = TextSampler.default()
    return [render_sample(sampler, HELD_OUT, rng, ALPHABET, augment) for _ in range(n)]


@needs_model
@needs_fonts
def test_shipped_model_reads_words_in_fonts_it_never_saw() -> None:
    from icr.htr.evaluate import evaluate
    from icr.htr.reader import shared_reader

    clean = evaluate(shared_reader(), _held_out_words(25, seed=11, augment=False))
    assert clean.cer < 0.1, clean  # the benchmark: 0.03 on 200 words
    distorted = evaluate(shared_reader(), _held_out_words(25, seed=12))
    assert distorted.cer < 0.3, distorted  # the benchmark: 0.16 on 200 words


@needs_model
@needs_fonts
def test_read_crop_gives_text_and_confidence_and_obeys_a_grammar() -> None:
    from icr.htr import read_crop
    from icr.htr.render import render_word

    image = render_word("4725", HELD_OUT[0], random.Random(3))
    text, confidence = read_crop(image, grammar="digits")
    assert regex.fullmatch("[0-9]+", text)
    assert 0.0 < confidence <= 1.0
    blank = np.full((40, 120), 255, np.uint8)
    assert read_crop(blank)[1] < 0.5 or read_crop(blank)[0] == ""


def _line(words: str, height: int = 60) -> np.ndarray:
    import cv2

    (width, _), _ = cv2.getTextSize(words, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.2, 2)
    image = np.full((height, width + 20), 255, np.uint8)
    cv2.putText(image, words, (5, 45), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.2, 0, 2)
    return image


def test_light_writing_on_a_dark_ground_reads_as_dark_on_light() -> None:
    from icr.htr import read_crop
    from icr.htr.preprocess import dark_on_light

    line = _line("Paid in full")
    assert (dark_on_light(255 - line) == line).all() and (dark_on_light(line) == line).all()
    assert read_crop(255 - line) == read_crop(line)  # chalk on a board, a negative scan
    shaded = np.where(line < 128, 0, 90).astype(np.uint8)  # dark writing in a shaded box stays
    assert (dark_on_light(shaded) == shaded).all()


def test_a_long_line_is_cut_at_gaps_between_words_into_pieces_the_model_can_read() -> None:
    from icr.htr.preprocess import PIECE_RATIO, pieces

    line = _line("hello world " * 12)
    spans = pieces(line)
    assert len(spans) > 1 and spans[0][0] == 0 and spans[-1][1] == line.shape[1]
    assert all(b - a <= PIECE_RATIO * line.shape[0] for a, b, _ in spans)
    assert all(a == b for (_, a, _), (b, _, _) in itertools.pairwise(spans))  # no column lost or read twice
    ink = (line < 128).any(axis=0)
    assert not any(ink[b] for _, b, _ in spans[:-1])  # every cut between letters, not through one
    assert sum(gap for _, _, gap in spans) >= 1  # some of them between words
    assert pieces(_line("hello world")) == [(0, _line("hello world").shape[1], False)]  # a word: whole


def _lines(*texts: str) -> np.ndarray:
    import cv2

    image = np.full((20 + 60 * len(texts), 420), 255, np.uint8)
    for i, text in enumerate(texts):
        cv2.putText(image, text, (10, 50 + 60 * i), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.2, 0, 2)
    return image


def test_a_crop_of_several_lines_is_cut_between_them_and_a_ruled_word_is_not() -> None:
    import cv2

    from icr.htr.preprocess import text_lines

    two = _lines("12 Main Street", "Springfield")
    rows = text_lines(two)
    assert len(rows) == 2 and rows[0][1] <= rows[1][0]
    ink = np.nonzero((two < 128).any(axis=1))[0]
    assert rows[0][0] <= ink[0] and rows[1][1] > ink[-1]  # no writing left out
    underlined = _line("Springfield")
    cv2.line(underlined, (0, 55), (underlined.shape[1], 55), 0, 4)  # the form's answer line, drawn thick
    boxed = cv2.rectangle(_line("Main"), (1, 1), (_line("Main").shape[1] - 2, 58), 0, 3)
    dotted = _line("ij")  # dots above their letters
    for one in (_line("hello world"), underlined, boxed, dotted):
        assert text_lines(one) == [(0, one.shape[0])]


@needs_model
def test_a_crop_of_two_lines_is_read_line_by_line() -> None:
    from icr.htr.reader import shared_reader

    whole = _lines("12 Main Street", "Springfield")
    reading = shared_reader().read([whole])[0]
    assert reading.text == "12 Main Street Springfield" and reading.confidence > 0.9
    one = shared_reader().read([_line("Springfield")])[0]
    assert one.text == "Springfield"  # one line is read whole, as before


@needs_model
def test_a_line_too_long_for_one_read_is_read_in_pieces_word_for_word() -> None:
    from icr.htr.reader import shared_reader

    words = ("hello world " * 20).strip()  # 58 heights: squeezed whole into 24, it read as nothing
    reading = shared_reader().read([_line(words)])[0]
    # every word read, one word a piece's word, in order (a letter may go, as in any one word)
    assert len(reading.text.split()) == len(words.split()) and cer(reading.text, words) < 0.02
    assert reading.confidence > 0.9
    assert [w.text for w in reading.words] == reading.text.split()
    assert all(ratio(w.text, source) >= 80 for w, source in zip(reading.words, words.split(), strict=True))
    assert all(a.end <= b.start + 0.01 for a, b in itertools.pairwise(reading.words))  # placed in order


@needs_model
@needs_fonts
def test_cli_eval_prints_cer_word_accuracy_and_n(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import cv2

    for i, (image, text) in enumerate(_held_out_words(8, seed=5)):
        cv2.imwrite(str(tmp_path / f"w{i}.png"), image)
        (tmp_path / f"w{i}.txt").write_text(text + "\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["htr", "eval", str(tmp_path), "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert set(result) == {"cer", "word_accuracy", "n"} and result["n"] == 8
    assert 0.0 <= result["cer"] < 0.5
    # the same words in loose crops (a form's zone round them): read as cut tight unless --no-trim
    for path in tmp_path.glob("*.png"):
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        paper = int(np.median(image))
        cv2.imwrite(str(path), cv2.copyMakeBorder(image, *(image.shape[0],) * 4, cv2.BORDER_CONSTANT, value=paper))
    loose, trimmed = (
        json.loads(CliRunner().invoke(main, ["htr", "eval", str(tmp_path), "--json", *extra]).output)
        for extra in (["--no-trim"], [])
    )
    assert trimmed["cer"] < loose["cer"] and trimmed["cer"] <= result["cer"] + 0.1


def test_cli_eval_names_a_crop_without_its_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import cv2

    cv2.imwrite(str(tmp_path / "lonely.png"), np.full((20, 20), 255, np.uint8))
    out = CliRunner().invoke(main, ["htr", "eval", str(tmp_path)])
    assert out.exit_code == 5
    assert "lonely.png" in out.output and "lonely.txt" in out.output


def test_labelled_crops_may_be_jpeg_or_tiff_and_other_files_are_left_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import cv2

    from icr.htr.train import load_labelled

    for name, text in (("a.jpg", "12/05"), ("b.TIF", "Smith"), ("c.png", "42")):
        cv2.imwrite(str(tmp_path / name), np.full((20, 40), 255, np.uint8))
        (tmp_path / name).with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a crop", encoding="utf-8")
    assert [text for _, text in load_labelled(tmp_path)] == ["12/05", "Smith", "42"]


def test_shipped_model_card_records_how_it_was_trained() -> None:
    card = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    assert card["alphabet"] == ALPHABET
    assert card["settings"]["steps"] > 0 and card["train_seconds"] > 0
    assert not set(card["fonts"]) & {f.name for f in HELD_OUT}


def test_shipped_model_was_trained_with_the_default_settings() -> None:
    """So that ``icr htr train`` with the card's command makes it again."""
    from dataclasses import asdict

    from icr.htr.train import TrainSettings

    card = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    # where the MNIST package was unpacked is the machine's, not the recipe's
    assert card["settings"] == asdict(TrainSettings(digits_dir=card["settings"]["digits_dir"]))
    assert f"--steps {card['settings']['steps']} --seed {card['settings']['seed']}" in card["reproduce"]
    if card["settings"]["digits_dir"]:
        assert f"--digits MNIST --digit-share {card['settings']['digit_share']}" in card["reproduce"]
        assert card["digits"]["sha256"] and "CC BY-SA" in card["digits"]["source"]


def test_training_batches_are_padded_renders_with_spellable_labels() -> None:
    from icr.htr.train import TrainSettings, _batches

    if not HELD_OUT:
        pytest.skip("handwriting fonts absent")
    settings = TrainSettings(batch_size=4, fonts=[str(f) for f in HELD_OUT])
    images, texts = next(_batches(settings, random.Random(0)))
    assert images.shape[:3] == (4, 3, settings.height) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert len(texts) == 4 and all(t and set(t) <= set(ALPHABET) for t in texts)


def test_print_share_mixes_in_words_rendered_in_print_fonts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from icr.htr import train as train_module
    from icr.htr.render import print_fonts

    if not HELD_OUT or not print_fonts():
        pytest.skip("handwriting or print fonts absent")
    used: list[str] = []
    real_render = train_module.render_sample

    def spy(sampler, fonts, rng, alphabet, augment=True, mix=0.0):  # type: ignore[no-untyped-def]
        used.append("print" if set(fonts) == set(print_fonts()) else "hand")
        return real_render(sampler, fonts, rng, alphabet, augment, mix)

    monkeypatch.setattr(train_module, "render_sample", spy)
    settings = train_module.TrainSettings(batch_size=40, fonts=[str(f) for f in HELD_OUT], print_share=0.5)
    next(train_module._batches(settings, random.Random(1)))
    assert 8 < used.count("print") < 32 and used.count("print") + used.count("hand") == 40


def test_mixed_fonts_draw_glyphs_from_both_at_one_capital_height(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from icr.htr import render

    hands = [f for f in HELD_OUT if set("Handwriting") <= render._coverage(str(f))]
    if len(hands) < 2:
        pytest.skip("two held-out handwriting fonts with small letters absent")
    first, second = hands[:2]
    ratio = render._cap_height(str(first)) / render._cap_height(str(second))  # cached: no probe drawn below
    drawn: list[tuple[str, int]] = []
    real_font = render._font

    def spy(path: str, size: int):  # type: ignore[no-untyped-def]
        drawn.append((path, size))
        return real_font(path, size)

    monkeypatch.setattr(render, "_font", spy)
    render.render_word("Handwriting", first, random.Random(2))
    assert {p for p, _ in drawn} == {str(first)}
    drawn.clear()
    image = render.render_word("Handwriting", first, random.Random(2), others=[second])
    assert image.dtype == np.uint8 and image.min() < 128
    assert {p for p, _ in drawn} == {str(first), str(second)} and len(drawn) == len("Handwriting")
    mean = {p: np.mean([s for q, s in drawn if q == p]) for p in (str(first), str(second))}
    assert mean[str(second)] / mean[str(first)] == pytest.approx(ratio, rel=0.25)


def test_mix_fonts_share_is_checked() -> None:
    from icr.htr.train import TrainSettings

    with pytest.raises(ConfigError, match="mix_fonts"):
        TrainSettings(mix_fonts=1.5)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch absent (the htr-train extra)")
def test_blend_moves_weights_towards_the_start() -> None:
    import torch

    from icr.htr.train import blend

    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(-1.0)
    start = {"weight": torch.zeros(2, 3), "bias": torch.ones(2)}
    blend(model, start, 0.25)
    assert torch.allclose(model.weight, torch.full((2, 3), 0.75))
    assert torch.allclose(model.bias, torch.full((2,), -0.5))


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch absent (the htr-train extra)")
def test_a_soup_is_the_mean_of_its_runs_weights_and_keeps_the_counters() -> None:
    import torch

    from icr.htr.train import average

    runs = [
        {"weight": torch.full((2, 3), value), "steps": torch.tensor(value * 10, dtype=torch.long)}
        for value in (1.0, 2.0, 6.0)
    ]
    soup = average(runs)
    assert torch.equal(soup["weight"], torch.full((2, 3), 3.0))
    assert soup["steps"].item() == 10  # not floating point: the first run's


def test_training_takes_one_run_or_several_and_refuses_none(tmp_path: Path) -> None:
    from icr.htr.train import TrainSettings

    assert TrainSettings().frozen_convs == [0, 4, 8, 12]
    with pytest.raises(ConfigError, match="frozen_convs"):
        TrainSettings(frozen_convs=[])
    with pytest.raises(ConfigError, match="frozen_convs"):
        TrainSettings(frozen_convs=[21, -1])
    out = CliRunner().invoke(main, ["htr", "train", "--out", str(tmp_path), "--frozen-convs", "0,ten"])
    assert out.exit_code == EXIT_USAGE and "--frozen-convs" in out.output and "0,ten" in out.output


def test_prepare_squeezes_the_width_by_the_models_scale() -> None:
    from icr.htr.preprocess import prepare

    crop = np.full((40, 200), 255, np.uint8)
    assert prepare(crop, 48).shape == (3, 48, 240)  # the aspect ratio kept
    assert prepare(crop, 32, 0.75).shape == (3, 32, 120)


def test_backbone_rows_left_of_any_height() -> None:
    from icr.htr.ppocr import final_rows

    assert [final_rows(h) for h in (48, 40, 33, 32, 16)] == [3, 3, 3, 2, 1]


class _FakeSession:
    """Returns one frame per ``stride`` columns of the padded batch, as the exported model does."""

    def __init__(self, stride: int, classes: int) -> None:
        self.stride, self.classes = stride, classes
        self.widths: list[int] = []

    def run(self, _names: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        x = feed["x"]
        self.widths.append(x.shape[3])
        return [np.full((x.shape[0], -(-x.shape[3] // self.stride), self.classes), 0.5, np.float32)]


def test_model_squeezes_crops_and_cuts_frames_as_its_card_says() -> None:
    from icr.htr.model import HandwritingModel

    session = _FakeSession(stride=4, classes=len(ALPHABET) + 1)
    model = HandwritingModel(session, ALPHABET, 32, {}, width_scale=0.75, frame_stride=4, pad_min=16, pad_step=16)
    narrow, wide = np.full((40, 80), 255, np.uint8), np.full((40, 96), 255, np.uint8)
    probs = model.probabilities([wide, narrow])
    assert sorted(session.widths) == [64, 80]  # 58 and 48 columns (96 * 32 / 40 * 0.75), each with its own padding
    assert [p.shape[0] for p in probs] == [15, 12]  # each crop's own columns / 4, not the padding's


def test_crops_of_one_padded_width_share_a_run_and_read_as_alone() -> None:
    from icr.htr.model import HandwritingModel

    session = _FakeSession(stride=8, classes=len(ALPHABET) + 1)
    model = HandwritingModel(session, ALPHABET, 48, {}, pad_min=16, pad_step=16)
    crops = [np.full((48, w), 255, np.uint8) for w in (100, 110, 111, 40)]
    model.probabilities(crops)
    assert sorted(session.widths) == [64, 128]  # 100, 110 and 111 (+16) pad to 128: one run; 40 to 64
    assert model.padded_width(112) == 128 and model.padded_width(113) == 144


@needs_model
def test_model_takes_its_squeeze_and_frame_stride_from_its_card(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from icr.htr.model import HandwritingModel

    card = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    card["settings"] = {**card["settings"], "width_scale": 0.5, "frame_stride": 4}
    (tmp_path / "model.json").write_text(json.dumps(card), encoding="utf-8")
    (tmp_path / "model.onnx").symlink_to(default_model_dir() / "model.onnx")
    model = HandwritingModel.load(tmp_path)
    assert (model.width_scale, model.frame_stride) == (0.5, 4)
    older = {k: v for k, v in card["settings"].items() if k not in ("width_scale", "frame_stride")}
    (tmp_path / "model.json").write_text(json.dumps({**card, "settings": older}), encoding="utf-8")
    model = HandwritingModel.load(tmp_path)  # a card from before the squeeze: none, a frame per 8 columns
    assert (model.width_scale, model.frame_stride) == (1.0, 8)


def test_training_refuses_a_width_scale_that_leaves_no_crop() -> None:
    from icr.htr.train import TrainSettings

    with pytest.raises(ConfigError, match="width_scale"):
        TrainSettings(width_scale=0.0)


def _feed_forward_model(dead: int) -> object:
    """x (1, 16, H, W) -> 1x1 conv to 64 -> bias -> ReLU -> 1x1 conv to 16 -> bias -> + x,
    beside a squeeze pair (16 -> 4 -> 16 on one pixel) that is not a feed-forward block.
    The last ``dead`` middle channels never fire (zero weights, negative bias)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    w1 = rng.normal(size=(64, 16, 1, 1)).astype(np.float32)
    b1 = rng.normal(size=(1, 64, 1, 1)).astype(np.float32)
    w1[64 - dead :] = 0
    b1[0, 64 - dead :] = -1
    w2 = rng.normal(size=(16, 64, 1, 1)).astype(np.float32)
    b2 = rng.normal(size=(1, 16, 1, 1)).astype(np.float32)
    s1 = rng.normal(size=(4, 16, 1, 1)).astype(np.float32)
    s2 = rng.normal(size=(16, 4, 1, 1)).astype(np.float32)
    arrays = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "s1": s1, "s2": s2}
    inits = [numpy_helper.from_array(a, n) for n, a in arrays.items()]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["e"], name="expand"),
        helper.make_node("Add", ["e", "b1"], ["eb"], name="bias1"),
        helper.make_node("Relu", ["eb"], ["a"], name="act"),
        helper.make_node("Conv", ["a", "w2"], ["r"], name="reduce"),
        helper.make_node("Add", ["r", "b2"], ["rb"], name="bias2"),
        helper.make_node("Add", ["rb", "x"], ["y"], name="residual"),
        helper.make_node("ReduceMean", ["y"], ["p"], name="pool", axes=[2, 3], keepdims=1),
        helper.make_node("Conv", ["p", "s1"], ["q"], name="squeeze"),
        helper.make_node("Relu", ["q"], ["qa"], name="squeeze_act"),
        helper.make_node("Conv", ["qa", "s2"], ["g"], name="excite"),
        helper.make_node("Mul", ["y", "g"], ["out"], name="scale"),
    ]
    graph = helper.make_graph(
        nodes, "ffn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 3, 5])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 16, 3, 5])], inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@needs_model
def test_pruning_finds_feed_forward_blocks_and_drops_channels_that_never_fire() -> None:
    pytest.importorskip("onnx")
    import onnxruntime as ort

    from icr.htr import distill

    model = _feed_forward_model(dead=32)
    blocks = distill.hidden_blocks(model)
    assert [(b.expand, b.reduce, b.width) for b in blocks] == [("expand", "reduce", 64)]  # not the squeeze pair
    rng = np.random.default_rng(4)
    inputs = [rng.normal(size=(1, 16, 3, 5)).astype(np.float32) for _ in range(8)]

    def run(m: object, x: np.ndarray) -> np.ndarray:
        return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]  # type: ignore[attr-defined]

    half = distill.prune(model, blocks, distill.activations(model, blocks, inputs), 0.5)
    kept = {i.name: i for i in half.graph.initializer}
    assert list(kept["w1"].dims) == [32, 16, 1, 1] and list(kept["w2"].dims) == [16, 32, 1, 1]
    assert list(kept["b1"].dims) == [1, 32, 1, 1]
    x = rng.normal(size=(1, 16, 3, 5)).astype(np.float32)
    assert np.allclose(run(half, x), run(model, x), rtol=1e-3, atol=1e-3)  # only the dead half went
    quarter = distill.prune(model, blocks, distill.activations(model, blocks, inputs), 0.25)
    assert not np.allclose(run(quarter, x), run(model, x), rtol=0.05, atol=0.05)  # live channels went too


def test_distillation_refuses_a_share_of_channels_out_of_range() -> None:
    from icr.htr.train import TrainSettings

    with pytest.raises(ConfigError, match="ffn_keep"):
        TrainSettings(ffn_keep=0.0)


@needs_model
def test_a_crops_reading_does_not_depend_on_the_crops_read_beside_it() -> None:
    from icr.htr.model import HandwritingModel

    model = HandwritingModel.load()
    rng = np.random.default_rng(5)
    crops = [rng.integers(0, 256, (48, w), dtype=np.uint8) for w in (100, 104, 60)]
    together = model.probabilities(crops)
    for crop, probs in zip(crops, together, strict=True):
        assert np.allclose(model.probabilities([crop])[0], probs, atol=1e-5)


def test_quantize_settings_refuse_what_they_cannot_do() -> None:
    from icr.htr.quantize import QuantizeSettings

    with pytest.raises(ConfigError, match="ranges"):
        QuantizeSettings(ranges="median")
    with pytest.raises(ConfigError, match="samples"):
        QuantizeSettings(samples=0)
    with pytest.raises(ConfigError, match="float_below"):
        QuantizeSettings(float_below=1.0)


def _two_convs(tmp_path) -> object:  # type: ignore[no-untyped-def]
    """x (N, 3, H, W) -> 3x3 conv to 16 channels -> ReLU -> 3x3 depthwise conv -> 1x1 conv to 16:
    per pixel 16 * 27, 16 * 9 and 16 * 16 multiply-adds, the depthwise conv's share 9 / 52."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(6)
    arrays = {
        "w1": rng.normal(size=(16, 3, 3, 3)).astype(np.float32) * 0.3,
        "w2": rng.normal(size=(16, 1, 3, 3)).astype(np.float32) * 0.3,
        "w3": rng.normal(size=(16, 16, 1, 1)).astype(np.float32) * 0.3,
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], name="stem", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["b"], name="act"),
        helper.make_node("Conv", ["b", "w2"], ["c"], name="depthwise", pads=[1, 1, 1, 1], group=16),
        helper.make_node("Conv", ["c", "w3"], ["y"], name="pointwise"),
    ]
    graph = helper.make_graph(
        nodes, "convs", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 16, "h", "w"])],
        [numpy_helper.from_array(a, n) for n, a in arrays.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@needs_model
def test_multiply_adds_are_counted_per_node_from_the_shapes_of_a_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("onnx")
    from icr.quantize import multiply_adds

    work = multiply_adds(_two_convs(tmp_path), height=8, width=10)
    assert work == {"stem": 16 * 8 * 10 * 27, "depthwise": 16 * 8 * 10 * 9, "pointwise": 16 * 8 * 10 * 16}


@needs_model
@needs_fonts
def test_quantizing_keeps_cheap_nodes_in_float_and_the_output_close(tmp_path) -> None:  # type: ignore[no-untyped-def]
    onnx = pytest.importorskip("onnx")
    import onnxruntime as ort

    from icr.htr.quantize import QuantizeSettings, calibration_crops, quantize_onnx

    source, target = tmp_path / "float.onnx", tmp_path / "int8.onnx"
    onnx.save(_two_convs(tmp_path), str(source))
    settings = QuantizeSettings(samples=6, print_share=0.0, float_below=0.2)
    record = quantize_onnx(source, target, settings, HELD_OUT, height=16)
    assert record["float_nodes"] == 1 and record["float_share"] == round(9 / 52, 4)
    assert record["ranges"] == "mean" and len(record["source_sha256"]) == 64 and record["gelu_fused"] == 0
    quantized = onnx.load(str(target))
    dequantized = {n.output[0] for n in quantized.graph.node if n.op_type == "DequantizeLinear"}
    fed_by_dequantized = {n.name for n in quantized.graph.node if n.op_type == "Conv" and n.input[0] in dequantized}
    assert fed_by_dequantized == {"stem", "pointwise"}  # the depthwise conv reads float activations
    x = calibration_crops(QuantizeSettings(samples=1, seed=9, print_share=0.0), HELD_OUT, 16)[0]
    run = {p: ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
           for p in (source, target)}
    error = np.abs(run[target] - run[source]).mean() / np.abs(run[source]).mean()
    if not _exact_int8_products():
        pytest.skip(f"8-bit error {error:.3f}: onnxruntime's u8s8 kernels saturate on x86 without VNNI")
    assert 0.0 < error < 0.2  # 8-bit: not the same numbers, but close (random weights: about 0.1)


def _gelu_graph(divisor: float) -> object:
    """x -> DequantizeLinear(QuantizeLinear(x)) -> GELU written out as PyTorch exports it, twice
    (the second on the first's output)."""
    from onnx import TensorProto, helper, numpy_helper

    constants = {"scale": np.float32(0.05), "zero": np.uint8(128), "root2": np.float32(divisor),
                 "one": np.float32(1.0), "half": np.float32(0.5)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["d"])]
    for i, (source, out) in enumerate((("d", "g0"), ("g0", "y"))):
        nodes += [
            helper.make_node("Div", [source, "root2"], [f"s{i}"], name=f"div{i}"),
            helper.make_node("Erf", [f"s{i}"], [f"e{i}"], name=f"erf{i}"),
            helper.make_node("Add", [f"e{i}", "one"], [f"a{i}"]),
            helper.make_node("Mul", [source, f"a{i}"], [f"m{i}"]),
            helper.make_node("Mul", [f"m{i}", "half"], [out]),
        ]
    graph = helper.make_graph(
        nodes, "gelu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 8])],
        [numpy_helper.from_array(np.array(v), k) for k, v in constants.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_gelus_written_out_are_fused_into_one_node_with_the_same_output() -> None:
    onnx = pytest.importorskip("onnx")
    import onnxruntime as ort

    from icr.quantize import fuse_gelu

    x = np.linspace(-4, 4, 24, dtype=np.float32).reshape(3, 8)
    model = _gelu_graph(2**0.5)
    before = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert fuse_gelu(model) == 2
    assert [n.op_type for n in model.graph.node] == ["QuantizeLinear", "DequantizeLinear", "Gelu", "Gelu"]
    onnx.checker.check_model(model)
    after = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.abs(after - before).max() < 1e-5 and np.abs(before).max() > 1
    other = _gelu_graph(2.0)  # x * (1 + erf(x / 2)) / 2 is no GELU
    assert fuse_gelu(other) == 0 and sum(n.op_type == "Erf" for n in other.graph.node) == 2


@needs_model
def test_the_shipped_model_has_its_gelus_fused() -> None:
    onnx = pytest.importorskip("onnx")

    model = onnx.load(str(default_model_dir() / "model.onnx"))
    card = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    assert not [n for n in model.graph.node if n.op_type == "Erf"]
    assert sum(n.op_type == "Gelu" for n in model.graph.node) == card["int8"]["gelu_fused"] > 0


def _exact_int8_products() -> bool:
    """Whether the CPU multiplies 8-bit values without 16-bit saturation (VNNI), or is no x86."""
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return True
    return "vnni" in flags


@needs_model
def test_quantize_folder_refuses_a_quantized_model_and_its_own_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from icr.errors import InputError
    from icr.htr.quantize import QuantizeSettings, quantize_folder

    card = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))
    (tmp_path / "model.onnx").write_bytes(b"")
    (tmp_path / "model.json").write_text(json.dumps({**card, "int8": {"samples": 1}}), encoding="utf-8")
    with pytest.raises(InputError, match="quantized already"):
        quantize_folder(tmp_path, tmp_path / "out", QuantizeSettings(), HELD_OUT)
    (tmp_path / "model.json").write_text(json.dumps({k: v for k, v in card.items() if k != "int8"}), encoding="utf-8")
    with pytest.raises(InputError, match="source folder"):
        quantize_folder(tmp_path, tmp_path, QuantizeSettings(), HELD_OUT)


@needs_model
@needs_fonts
def test_cli_quantize_writes_the_model_and_a_card_that_says_how(tmp_path) -> None:  # type: ignore[no-untyped-def]
    onnx = pytest.importorskip("onnx")

    source = tmp_path / "float"
    source.mkdir()
    onnx.save(_two_convs(tmp_path), str(source / "model.onnx"))
    card = {"alphabet": "ab", "height": 16, "settings": {"width_scale": 1.0}, "reproduce": "icr htr train --out FLOAT"}
    (source / "model.json").write_text(json.dumps(card), encoding="utf-8")
    out = CliRunner().invoke(main, ["htr", "quantize", str(source), "--out", str(tmp_path / "int8"), "--samples", "4",
                                    "--float-below", "0.2"])
    assert out.exit_code == 0, out.output
    written = json.loads((tmp_path / "int8" / "model.json").read_text(encoding="utf-8"))
    assert written["alphabet"] == "ab" and written["int8"]["samples"] == 4 and written["int8"]["float_nodes"] == 1
    then = "icr htr train --out FLOAT, then icr htr quantize FLOAT --out DIR --samples 4"
    assert written["reproduce"].startswith(then)
    assert any(n.op_type == "QuantizeLinear" for n in onnx.load(str(tmp_path / "int8" / "model.onnx")).graph.node)
