"""Issue 22, item 7: HEIC phone photos, every frame of a GIF or WebP, 108-megapixel photos."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from icr.errors import DocumentError
from icr.imaging.load import MAX_PHOTO_PIXELS, WORK_PIXELS, load_pages, supported_extensions
from icr.pipeline import discover


def _frames(n: int) -> list[Image.Image]:
    out = []
    for i in range(n):
        img = Image.new("RGB", (120, 80), "white")
        ImageDraw.Draw(img).text((10, 30), f"PAGE {i + 1}", fill="black")
        out.append(img)
    return out


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_every_frame_of_a_gif_or_webp_is_a_page(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"scan{suffix}"
    first, *rest = _frames(3)
    first.save(path, save_all=True, append_images=rest, duration=100, lossless=True)
    pages = load_pages(path)
    assert [p.number for p in pages] == [1, 2, 3]
    assert pages[0].image.shape == (80, 120, 3)
    assert not np.array_equal(pages[0].image, pages[2].image)  # the frames themselves, not copies
    assert path in list(discover([tmp_path]))  # found in folders, not skipped


def test_a_heic_photo_is_read(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="the heif extra (pillow-heif) is not installed")
    pillow_heif.register_heif_opener()
    path = tmp_path / "IMG_0001.HEIC"
    _frames(1)[0].resize((240, 160)).save(path, format="HEIF", quality=90)
    (page,) = load_pages(path)
    assert page.image.shape == (160, 240, 3)
    assert {".heic", ".heif"} <= supported_extensions()
    assert path in list(discover([tmp_path]))


@pytest.mark.parametrize("suffix", [".webp", ".jpg", ".png", ".tif"])
def test_a_photo_stored_on_its_side_is_turned_upright_by_its_exif_orientation(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import icr.imaging.load as load

    img = Image.new("RGB", (400, 200), "white")
    img.paste((0, 0, 0), (0, 0, 50, 50))  # the stored image's top left corner ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... is shown top right: turn 90 degrees clockwise
    path = tmp_path / f"photo{suffix}"
    img.save(path, exif=exif.tobytes())
    (page,) = load_pages(path)
    assert page.image.shape == (400, 200, 3)
    assert page.image[:40, -40:].mean() < 50
    if suffix == ".jpg":  # a photo over the pixel limit, decoded at a reduced scale by Pillow
        monkeypatch.setattr(load, "MAX_PIXELS", 10_000)
        (page,) = load_pages(path)
        assert page.image.shape == (200, 100, 3)
        assert page.image[:20, -20:].mean() < 50


@pytest.mark.parametrize(("suffix", "mode"), [(".png", "RGBA"), (".png", "LA"), (".webp", "RGBA"), (".tif", "RGBA")])
def test_see_through_pixels_are_white_paper_not_black(tmp_path: Path, suffix: str, mode: str) -> None:
    img = Image.new("RGBA", (300, 120), (0, 0, 0, 0))  # clear pixels whose colour is black
    ImageDraw.Draw(img).rectangle((20, 40, 120, 60), fill=(0, 0, 0, 255))  # opaque black ink
    path = tmp_path / f"e-receipt{suffix}"
    img.convert(mode).save(path)
    (page,) = load_pages(path)
    assert page.image.shape == (120, 300, 3)
    assert page.image[:30].min() == 255  # the paper
    assert page.image[45:55, 30:110].max() < 30  # the ink


def test_a_heic_without_pillow_heif_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import icr.imaging.load as load

    monkeypatch.setattr(load, "_register_heif", lambda: False)
    path = tmp_path / "x.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    with pytest.raises(DocumentError, match=r"pillow-heif.*icr\[heif\]"):
        load_pages(path)


_PHOTO = """
import resource, sys
from pathlib import Path
from PIL import Image, ImageDraw
from icr.imaging.load import load_pages
path = Path(sys.argv[1])
img = Image.new("L", (12000, 9000), 255)
ImageDraw.Draw(img).rectangle((5000, 4000, 7000, 5000), fill=0)
img.save(path, quality=70)
del img
written = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
(page,) = load_pages(path)
h, w = page.image.shape[:2]
print(w, h, int(page.image[2250, 3000].max()), written)
"""


@pytest.mark.slow
def test_a_108_megapixel_photo_is_downscaled_not_refused(tmp_path: Path) -> None:
    # In a child process: the test's own 108 MP image must not swell the test runner.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", _PHOTO, str(tmp_path / "phone.jpg")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    w, h, dark, _written = map(int, done.stdout.split())
    assert w * h <= WORK_PIXELS and (w, h) == (6000, 4500)  # decoded at half scale, not refused
    assert dark < 60  # the dark block is where it was
    assert MAX_PHOTO_PIXELS >= 12000 * 9000
