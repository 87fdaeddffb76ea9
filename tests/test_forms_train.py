"""The learned linker of forms: numpy boosted trees, features, training and its use by the forms step;
the rules' pair confidence; ``icr forms train`` on the generated forms with real Tesseract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import requires_tesseract

from icr.cli import main
from icr.errors import ConfigError
from icr.forms.funsd import GoldForm, norm
from icr.forms.keyvalue import LinkOptions, label_segments, pairs_of
from icr.forms.learn import LinkModel, link_with_model
from icr.forms.reader import FormReader
from icr.forms.segments import SegmentOptions, segments_of
from icr.forms.train import Example, example, train
from icr.forms.trees import FitOptions, Trees, fit
from icr.types import Word

FORMS = Path(__file__).resolve().parent.parent / "sample-forms"


def test_trees_learn_an_interaction_and_read_back_from_json() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((600, 3))
    y = ((x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)).astype(float)  # no single feature tells
    trees = fit(x, y, FitOptions(trees=60, depth=2, min_leaf=5))
    accuracy = float(((trees.predict(x) > 0.5) == (y > 0.5)).mean())
    assert accuracy > 0.95
    again = Trees.from_dict(json.loads(json.dumps(trees.as_dict())))
    assert np.allclose(again.predict(x), trees.predict(x))


def _form(shift: int, names: tuple[str, str, str]) -> tuple[list[Word], GoldForm]:
    """A form of three "Label: value" rows (letters 20 px tall, 12 px wide) and a title; the gold links them."""
    items = [("REQUEST", 300 + shift, 20)]
    gold_pairs = []
    for row, (label, value) in enumerate(zip(("Name:", "Date:", "Ref:"), names, strict=True)):
        y = 120 + 70 * row + shift
        items += [(label, 40 + shift, y), (value, 260 + shift, y)]
        gold_pairs.append((norm(label), norm(value)))
    words = [Word(t, x, y, 12 * len(t), 20, 0.95) for t, x, y in items]
    entities = [
        ("header", "REQUEST"),
        *(("question", q) for q, _ in gold_pairs),
        *(("answer", a) for _, a in gold_pairs),
    ]
    return words, GoldForm(entities, gold_pairs, [(0, 0, 0, 0)] * len(entities))


def _examples(n: int) -> list[Example]:
    out = []
    for i in range(n):
        words, gold = _form(7 * i, (f"Person{i}", f"{i + 1}/03/2024", f"R{100 + i}"))
        segments = segments_of(words, SegmentOptions())
        out.append(example(f"f{i}", segments, 800, 600, gold, LinkOptions()))
    return out


def test_training_finds_the_pairs_of_a_form_it_never_saw(tmp_path: Path) -> None:
    model, report = train(_examples(8), LinkOptions(), FitOptions(trees=30, min_leaf=2))
    assert report.positives == 24 and report.reachable == 24 and report.gold_pairs == 24
    path = tmp_path / "linker.json"
    model.save(path)
    loaded = LinkModel.load(path)
    words, _ = _form(3, ("Zed", "9/9/2020", "R7"))
    segments = segments_of(words, SegmentOptions())
    label_segments(segments, 800, 600, LinkOptions())
    links = link_with_model(segments, 800, 600, LinkOptions(), loaded)
    pairs = {(p.key, p.value) for p in pairs_of([(q, a) for q, a, _ in links], 1, None, [s for *_, s in links])}
    assert pairs == {("Name", "Zed"), ("Date", "9/9/2020"), ("Ref", "R7")}
    assert {s.text: s.label for s in segments}["REQUEST"] != "answer"


def test_a_model_file_that_is_not_one_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(ConfigError, match="not an icr forms model"):
        LinkModel.load(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        FormReader.from_section({"model": str(tmp_path / "missing.json")})


@pytest.mark.tesseract
@pytest.mark.slow
def test_forms_train_cli_on_the_generated_forms(tmp_path: Path) -> None:
    """`icr forms train` on the project's own forms, as FUNSD-layout folders (texts and links; boxes unused)."""
    requires_tesseract()
    folder = tmp_path / "forms"
    folder.mkdir()
    for png in sorted(FORMS.glob("*.png")):
        shutil.copy(png, folder / png.name)
        expected = json.loads(png.with_suffix(".json").read_text())
        entities = []
        for i, (key, value) in enumerate(expected["pairs"].items()):
            entities.append(
                {"id": 2 * i, "text": key, "label": "question", "box": [0, 0, 0, 0], "linking": [[2 * i, 2 * i + 1]]}
            )
            entities.append({"id": 2 * i + 1, "text": value, "label": "answer", "box": [0, 0, 0, 0], "linking": []})
        (folder / f"{png.stem}.json").write_text(json.dumps({"form": entities}))
    out = tmp_path / "linker.json"
    res = CliRunner().invoke(main, ["forms", "train", str(folder), "--out", str(out), "--trees", "20"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["forms"] == 2 and report["positives"] > 0 and report["reachable"] > 0
    assert LinkModel.load(out).trees.trees
    res = CliRunner().invoke(main, ["forms", "train", str(tmp_path), "--out", str(out)])
    assert res.exit_code != 0 and "annotations" in res.output
