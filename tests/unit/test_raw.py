"""Camera RAW decoding on real DNG files (tests/helpers/raw_files.py) through the real LibRaw (rawpy)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from photofind.errors import ImageTooLargeError, NotAnImageError
from photofind.media.images import open_image
from photofind.media import raw as raw_module
from tests.helpers.images import exif_with, photo
from tests.helpers.raw_files import write_dng

rawpy = pytest.importorskip("rawpy", reason="the raw extra (rawpy) is part of the test dependencies")

SENSOR = photo(1, (640, 480))  # what the sensor recorded
OTHER = photo(2, (640, 480))  # a different picture, as a preview: tells which path decoded


def likeness(a: Image.Image, b: Image.Image) -> float:
    """Correlation of two pictures' pixels, at a's size: ~1 for the same picture, ~0 otherwise."""
    x = np.asarray(a.convert("RGB"), dtype=np.float64).ravel()
    y = np.asarray(b.convert("RGB").resize(a.size, Image.Resampling.BILINEAR), dtype=np.float64).ravel()
    return float(np.corrcoef(x, y)[0, 1])


def upright(picture: Image.Image, orientation: int) -> Image.Image:
    """What a viewer shows for `picture` stored with this EXIF orientation (Pillow's reading)."""
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=95, exif=exif_with(orientation))
    return ImageOps.exif_transpose(Image.open(buf))


def test_the_dng_is_a_real_raw_file_to_libraw(tmp_path: Path) -> None:
    """The test files themselves: LibRaw finds the camera, the Bayer mosaic, the preview and
    develops colours close to the picture they were made from."""
    path = write_dng(tmp_path / "a.dng", SENSOR, OTHER)
    with rawpy.imread(str(path)) as raw:
        assert (raw.sizes.width, raw.sizes.height) == (640, 480)
        assert raw.raw_pattern.shape == (2, 2) and raw.num_colors == 3
        thumb = raw.extract_thumb()
        assert thumb.format == rawpy.ThumbFormat.JPEG
        assert Image.open(io.BytesIO(thumb.data)).size == (640, 480)
        developed = Image.fromarray(raw.postprocess(use_camera_wb=True))
    assert developed.size == (640, 480)
    assert likeness(SENSOR, developed) > 0.95
    with rawpy.imread(str(write_dng(tmp_path / "b.dng", SENSOR))) as raw, pytest.raises(rawpy.LibRawNoThumbnailError):
        raw.extract_thumb()


def test_a_big_enough_preview_is_used_and_draft_decoded(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "p.dng", SENSOR, OTHER.resize((1280, 960)))
    image, info = open_image(path, min_side=224)
    assert likeness(OTHER, image) > 0.95 and likeness(SENSOR, image) < 0.5  # the preview, not the RAW data
    assert image.size == (320, 240)  # JPEG draft: 1/4 is the smallest scale keeping both sides >= 224
    assert (info.width, info.height) == (640, 480)  # the RAW's own size, not the preview's
    assert info.taken == "2024-05-06T07:08:09"


@pytest.mark.parametrize("preview", [None, (160, 120)], ids=["no preview", "preview too small"])
def test_without_a_usable_preview_the_raw_data_is_developed_at_half_size(tmp_path: Path, preview: tuple[int, int] | None) -> None:
    path = write_dng(tmp_path / "d.dng", SENSOR, OTHER.resize(preview) if preview else None)
    image, info = open_image(path, min_side=224)
    assert likeness(SENSOR, image) > 0.95 and likeness(OTHER, image) < 0.5
    assert image.size == (320, 240) and image.mode == "RGB"  # half size still reaches 224
    assert (info.width, info.height) == (640, 480) and info.taken == "2024-05-06T07:08:09"
    # a caller that needs more than half the sensor gets the full development
    assert open_image(path, min_side=300)[0].size == (640, 480)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_applied_on_both_paths(tmp_path: Path, orientation: int) -> None:
    want = upright(SENSOR, orientation)
    # camera previews carry no orientation of their own and are stored as the sensor is
    with_preview = write_dng(tmp_path / "p.dng", SENSOR, SENSOR, orientation=orientation)
    developed = write_dng(tmp_path / "d.dng", SENSOR, orientation=orientation)
    for path in (with_preview, developed):
        image, info = open_image(path, min_side=224)
        assert image.size == (want.width // 2, want.height // 2)
        assert (info.width, info.height) == want.size
        assert likeness(want, image) > 0.95, (path.name, orientation)


def test_a_preview_stored_upright_already_is_not_turned_again(tmp_path: Path) -> None:
    """Some cameras turn the preview themselves (libvips #5086): portrait preview, portrait RAW."""
    want = upright(SENSOR, 6)
    path = write_dng(tmp_path / "p.dng", SENSOR, want, orientation=6)
    image, _ = open_image(path, min_side=224)
    assert image.size == (240, 320) and likeness(want, image) > 0.95


def test_a_preview_with_its_own_orientation_follows_it(tmp_path: Path) -> None:
    """The preview's own EXIF tag wins over the RAW's: here it says 3 (turn 180), the RAW 6."""
    stored = SENSOR.transpose(Image.Transpose.ROTATE_180)
    path = write_dng(tmp_path / "p.dng", SENSOR, stored, orientation=6, preview_exif=exif_with(3))
    image, _ = open_image(path, min_side=224)
    assert image.size == (320, 240) and likeness(SENSOR, image) > 0.95  # not turned a quarter more


def test_the_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "big.dng", SENSOR, SENSOR)
    with pytest.raises(ImageTooLargeError, match=r"image too large \(640x480 = 307,200 pixels"):
        open_image(path, min_side=224, max_pixels=300_000)


def test_corrupt_truncated_and_empty_raw_files_say_why(tmp_path: Path) -> None:
    good = write_dng(tmp_path / "good.dng", SENSOR, SENSOR).read_bytes()
    cases = {
        "noise.dng": os.urandom(20_000),
        "truncated.dng": good[: len(good) // 2],
        "a-jpeg.nef": good[good.index(b"\xff\xd8") :][:5000],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(NotAnImageError, match=r"^corrupt or unreadable RAW photo \(.+\)$"):
            open_image(tmp_path / name, min_side=224)
    (tmp_path / "empty.cr2").write_bytes(b"")
    with pytest.raises(NotAnImageError, match="^empty file$"):
        open_image(tmp_path / "empty.cr2")


def test_without_rawpy_a_raw_file_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """rawpy made unimportable for real (None in sys.modules makes `import rawpy` raise
    ImportError); the CLI test does the same in a subprocess."""
    path = write_dng(tmp_path / "a.dng", SENSOR, SENSOR)
    monkeypatch.setitem(sys.modules, "rawpy", None)
    raw_module.rawpy_module.cache_clear()
    try:
        with pytest.raises(NotAnImageError, match=r"^RAW photo: install photofind\[raw\] to read it$"):
            open_image(path, min_side=224)
    finally:
        monkeypatch.undo()
        raw_module.rawpy_module.cache_clear()
    assert open_image(path, min_side=224)[0].size == (320, 240)


def test_web_thumbnails_and_dupes_fingerprints_read_raw_files(tmp_path: Path) -> None:
    """They open photos through open_image too: a RAW file needs nothing of its own there."""
    from photofind.media.fingerprint import fingerprint_file, hamming, phash
    from photofind.store.thumbnails import ThumbCache

    want = upright(SENSOR, 8)
    for path in (write_dng(tmp_path / "p.dng", SENSOR, SENSOR, orientation=8),
                 write_dng(tmp_path / "d.dng", SENSOR, orientation=8)):
        thumb = Image.open(ThumbCache(tmp_path / "cache").get(path.stem * 32, 256, str(path)))
        assert thumb.format == "JPEG" and thumb.size == (192, 256) and likeness(want, thumb) > 0.95
        fp = fingerprint_file(path)
        assert (fp.width, fp.height) == (480, 640) and hamming(fp.phash, phash(want)) <= 6
