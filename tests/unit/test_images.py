from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.errors import NotAnImageError
from photofind.media.images import open_image, to_rgb
from tests.helpers.images import exif_with, save, scene


def test_exif_orientation_is_applied_and_size_is_upright(tmp_path: Path) -> None:
    upright = scene(1, (120, 80))
    # Orientation 6 means "rotate 90 CW to view": store the pixels rotated the other way.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    path = save(stored, tmp_path / "rot.jpg", exif=exif_with(6), quality=95)
    im, info = open_image(path)
    assert im.size == (120, 80) and (info.width, info.height) == (120, 80)
    diff = np.abs(np.asarray(im, dtype=int) - np.asarray(upright, dtype=int)).mean()
    assert diff < 6  # JPEG noise only; un-rotated it would be way off (and the wrong shape)


def test_exif_date_taken_is_read(tmp_path: Path) -> None:
    path = save(scene(2), tmp_path / "d.jpg", exif=exif_with(taken="2021:07:04 18:30:05"))
    assert open_image(path)[1].taken == "2021-07-04T18:30:05"
    assert open_image(save(scene(2), tmp_path / "n.jpg"))[1].taken is None


def test_alpha_is_composited_on_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (0, 0, 255, 255))
    im, _ = open_image(save(rgba, tmp_path / "a.png"))
    assert im.mode == "RGB"
    assert im.getpixel((5, 5)) == (255, 255, 255)
    assert im.getpixel((0, 0)) == (0, 0, 255)


def test_palette_with_transparency_becomes_white(tmp_path: Path) -> None:
    p = Image.new("P", (8, 8), 0)
    p.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    p.putpixel((1, 1), 1)
    im, _ = open_image(save(p, tmp_path / "p.png", transparency=0))
    assert im.getpixel((0, 0)) == (255, 255, 255) and im.getpixel((1, 1)) == (10, 200, 30)


def test_sixteen_bit_is_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = (np.arange(16 * 16, dtype=np.uint16).reshape(16, 16) * 256).astype(np.uint16)
    path = save(Image.fromarray(ramp), tmp_path / "g16.png")  # uint16 -> mode I;16
    im, _ = open_image(path)
    arr = np.asarray(im)[:, :, 0].astype(int)
    # clipping would make almost everything 255; scaling keeps the ramp
    assert arr.min() == 0 and 250 <= arr.max() <= 255
    assert abs(int(arr[8, 0]) - 128) <= 2


def test_cmyk_and_grey_convert(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # pure red in CMYK
    im, _ = open_image(save(cmyk, tmp_path / "c.jpg", quality=100))
    r, g, b = im.getpixel((1, 1))
    assert r > 200 and g < 60 and b < 60
    assert to_rgb(Image.new("L", (2, 2), 77)).getpixel((0, 0)) == (77, 77, 77)


def test_heic_opens(tmp_path: Path) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    src = scene(3, (64, 48))
    im, info = open_image(save(src, tmp_path / "x.heic", quality=95))
    assert im.size == (64, 48) and info.width == 64
    assert np.abs(np.asarray(im, dtype=int) - np.asarray(src, dtype=int)).mean() < 12


def test_draft_mode_decodes_big_jpeg_small_but_not_below_min_side(tmp_path: Path) -> None:
    path = save(scene(4, (2000, 1500)), tmp_path / "big.jpg", quality=90)
    im, info = open_image(path, min_side=224)
    assert (info.width, info.height) == (2000, 1500)  # metadata is the original size
    assert min(im.size) >= 224 and im.size[0] <= 500  # decoded at 1/4 or 1/8 scale
    assert open_image(path)[0].size == (2000, 1500)


def test_pixel_limit_is_a_per_file_skip(tmp_path: Path) -> None:
    path = save(scene(5, (300, 200)), tmp_path / "p.jpg")
    with pytest.raises(NotAnImageError, match="too large"):
        open_image(path, max_pixels=300 * 200 - 1)
    assert open_image(path, max_pixels=300 * 200)[0].size == (300, 200)


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty file"), (b"just some text\n", "not a readable image"), (None, "corrupt")],
)
def test_broken_files_raise_with_a_reason(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "broken.jpg"
    if content is None:  # a truncated JPEG: header intact, data cut
        full = save(scene(6, (400, 300)), tmp_path / "full.jpg").read_bytes()
        content = full[: len(full) // 3]
    path.write_bytes(content)
    with pytest.raises(NotAnImageError, match=reason):
        open_image(path)
