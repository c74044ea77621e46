"""Image preprocessing: the K2.5 size rule, patch layout and normalisation, and odd/bad image files.

Oracles: the spec's worked token counts (§3.1), transformers' own `navit_resize` from its kimi_k25 video
processor (extracted from the source file, since importing the module needs torchvision), and a per-patch
numpy loop written from the spec.
"""
import ast
import inspect
import io
import math
import pathlib

import numpy as np
import pytest
import torch
from PIL import Image

from uicode.errors import MediaError
from vision import preprocess as pp
from vision.image_file import load_image
from vision.preprocess import (IN_PATCH_LIMIT_EACH_FRAME, image_token_count, navit_resize, pack_media,
                               preprocess_frames, preprocess_image)


# ---------------------------------------------------------------------------------------------- size rule

@pytest.mark.parametrize("w,h,grid,tokens", [
    (224, 224, (16, 16), 64),
    (100, 100, (8, 8), 16),        # padded 100 → 112
    (640, 480, (36, 46), 414),
    (1920, 1080, (78, 138), 2691),
    (3000, 3000, (130, 130), 4225),  # resized to 1794², overshoots 16384 patches after padding, as upstream
])
def test_spec_token_counts(w, h, grid, tokens):
    assert pp.image_grid(w, h) == grid
    assert image_token_count(w, h) == tokens


def test_video_frame_token_count():
    # 1920×1080 frame with the 4096 per-frame limit → 1196×672 → grid 48×86 → 1032 tokens per chunk
    assert navit_resize(1920, 1080, IN_PATCH_LIMIT_EACH_FRAME)[:2] == (1196, 672)
    assert image_token_count(1920, 1080, IN_PATCH_LIMIT_EACH_FRAME) == 1032


def _transformers_navit_resize():
    """transformers' navit_resize, compiled from its source text (its module imports torchvision)."""
    import transformers.models.kimi_k25 as pkg
    src = (pathlib.Path(inspect.getfile(pkg)).parent / "video_processing_kimi_k25.py").read_text()
    fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == "navit_resize")
    ns = {"math": math}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "navit_resize", "exec"), ns)
    return ns["navit_resize"]


def test_size_rule_matches_transformers_sweep():
    ref = _transformers_navit_resize()
    rng = np.random.default_rng(0)
    sizes = [(1, 1), (13, 13), (14, 14), (27, 29), (7168, 10), (10, 7168), (8000, 20), (20000, 30),
             (1, 5000), (4096, 4096), (1366, 768), (2560, 1440), (3840, 2160)]
    sizes += [tuple(int(v) for v in rng.integers(1, 9000, 2)) for _ in range(300)]
    for limit in (16384, 4096):
        for w, h in sizes:
            (rh, rw), (ph, pw) = ref(h, w, 14, 2, limit, 512)
            assert navit_resize(w, h, limit) == (rw, rh, pw, ph), (w, h, limit)


# ---------------------------------------------------------------------------------------------- pixels

def _reference_patches(img_rgb: np.ndarray, new_wh, pad_wh):
    """Spec §3.1 in plain loops: PIL bicubic → zero pad → (x/255−0.5)/0.5 → patches (row, col) order."""
    resized = np.asarray(Image.fromarray(img_rgb).resize(new_wh, Image.Resampling.BICUBIC), dtype=np.float64)
    canvas = np.zeros((pad_wh[1], pad_wh[0], 3))
    canvas[:new_wh[1], :new_wh[0]] = resized
    canvas = (canvas / 255.0 - 0.5) / 0.5
    out = []
    for r in range(pad_wh[1] // 14):
        for c in range(pad_wh[0] // 14):
            out.append(canvas[r * 14:(r + 1) * 14, c * 14:(c + 1) * 14].transpose(2, 0, 1))
    return np.stack(out)


def test_pixels_layout_and_normalisation():
    rng = np.random.default_rng(1)
    arr = rng.integers(0, 256, (61, 150, 3), dtype=np.uint8)   # not a multiple of 28 either way
    item = preprocess_image(Image.fromarray(arr))
    assert item.grid_thw == (1, 6, 12)
    assert item.num_tokens == 18
    assert item.pixel_values.dtype == torch.float32 and item.pixel_values.shape == (72, 3, 14, 14)
    ref = _reference_patches(arr, (150, 61), (168, 84))
    np.testing.assert_allclose(item.pixel_values.numpy(), ref, atol=1e-6)
    # the padding is exactly -1 (zero pixels), the image part is never all -1 here
    assert torch.all(item.pixel_values[11, :, :, 10:] == -1.0)   # last column patch: 150..167 is padding from x=150
    assert float(item.pixel_values.min()) >= -1.0 and float(item.pixel_values.max()) <= 1.0


def test_downscale_uses_pil_bicubic():
    rng = np.random.default_rng(2)
    arr = rng.integers(0, 256, (300, 8000, 3), dtype=np.uint8)   # 8000 wide > 512·14 → downscale
    new_w, new_h, pw, ph = navit_resize(8000, 300)
    item = preprocess_image(Image.fromarray(arr))
    assert item.grid_thw == (1, ph // 14, pw // 14)
    np.testing.assert_allclose(item.pixel_values.numpy(), _reference_patches(arr, (new_w, new_h), (pw, ph)),
                               atol=1e-6)


def test_frames_chunk_order_t_row_col():
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 256, (40, 60, 3), dtype=np.uint8) for _ in range(3)]
    item = preprocess_frames(frames)
    assert item.grid_thw == (3, 4, 6)
    per = [_reference_patches(f, (60, 40), (84, 56)) for f in frames]
    np.testing.assert_allclose(item.pixel_values.numpy(), np.concatenate(per), atol=1e-6)
    packed = pack_media([item, preprocess_image(Image.fromarray(frames[0]))])
    assert packed["grid_thws"].tolist() == [[3, 4, 6], [1, 4, 6]]
    assert packed["pixel_values"].shape == (96, 3, 14, 14)
    with pytest.raises(ValueError):
        preprocess_frames([frames[0], frames[0][:20]])


# ---------------------------------------------------------------------------------------------- odd inputs

def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_one_pixel():
    im = load_image(_save(Image.new("RGB", (1, 1), (10, 200, 30)), "PNG"))
    assert im.size == (1, 1)
    item = preprocess_image(im)
    assert item.grid_thw == (1, 2, 2) and item.num_tokens == 1
    np.testing.assert_allclose(item.pixel_values[0, :, 0, 0].numpy(), [10 / 127.5 - 1, 200 / 127.5 - 1, 30 / 127.5 - 1],
                               atol=1e-6)


def test_sixteen_bit_grayscale_scaled_not_clipped(tmp_path):
    a = np.array([[0, 1000, 30000, 65535]], dtype=np.uint16)
    Image.fromarray(a).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    im = load_image(tmp_path / "g16.png")
    assert im.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(im)[0, :, 0], [0, 4, 117, 255])


def test_sixteen_bit_rgb(tmp_path):
    import cv2
    a = np.zeros((5, 7, 3), dtype=np.uint16)
    a[..., 2] = 65535  # BGR → red
    cv2.imwrite(str(tmp_path / "c16.png"), a)
    im = load_image(tmp_path / "c16.png")
    assert im.mode == "RGB" and tuple(np.asarray(im)[2, 3]) == (255, 0, 0)


def test_palette_with_alpha_composited_on_white():
    pal = Image.new("P", (4, 4))
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.putpixel((0, 0), 1)
    data = _save(pal, "PNG", transparency=0)   # index 0 (red) is fully transparent
    im = load_image(data)
    assert tuple(np.asarray(im)[1, 1]) == (255, 255, 255)
    assert tuple(np.asarray(im)[0, 0]) == (0, 0, 255)


def test_rgba_half_transparent_over_white():
    rgba = Image.new("RGBA", (3, 3), (0, 0, 0, 128))
    im = load_image(_save(rgba, "PNG"))
    v = np.asarray(im)[1, 1]
    assert np.all(np.abs(v.astype(int) - 127) <= 1), v
    la = Image.new("LA", (3, 3), (0, 0))
    assert tuple(np.asarray(load_image(_save(la, "PNG")))[0, 0]) == (255, 255, 255)


def test_cmyk_jpeg():
    cmyk = Image.new("CMYK", (16, 8), (0, 255, 255, 0))  # red in CMYK
    im = load_image(_save(cmyk, "JPEG", quality=95))
    r, g, b = np.asarray(im)[4, 8].astype(int)
    assert r > 200 and g < 60 and b < 60


def test_exif_orientation_applied():
    arr = np.zeros((10, 20, 3), dtype=np.uint8)
    arr[:, :10] = 255  # left half white in the stored pixels
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6   # "rotate 90 CW to display"
    im = load_image(_save(img, "JPEG", exif=exif.tobytes(), quality=100))
    assert im.size == (10, 20)                      # width/height swapped
    a = np.asarray(im).astype(int)
    assert a[2, 5].min() > 200 and a[17, 5].max() < 50   # top is white after the rotation


@pytest.mark.parametrize("w,h", [(5000, 3), (3, 5000), (20000, 14)])
def test_extreme_aspect_ratios(w, h):
    item = preprocess_image(Image.new("RGB", (w, h), (1, 2, 3)))
    t, gh, gw = item.grid_thw
    assert t == 1 and gh % 2 == 0 and gw % 2 == 0 and gh <= 512 and gw <= 512
    assert item.pixel_values.shape[0] == gh * gw
    assert item.num_tokens == image_token_count(w, h)


def test_animated_gif_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    im = load_image(buf.getvalue())
    r, g, b = np.asarray(im)[4, 4].astype(int)
    assert r > 200 and g < 30 and b < 30


@pytest.mark.parametrize("fmt,mode", [("WEBP", "RGB"), ("WEBP", "RGBA"), ("BMP", "RGB"), ("PNG", "L"),
                                      ("TIFF", "RGB"), ("PNG", "1")])
def test_other_formats(fmt, mode):
    img = Image.new(mode, (30, 20), 255 if mode in ("L", "1") else (255,) * len(mode))
    kw = {"lossless": True} if fmt == "WEBP" else {}
    im = load_image(_save(img, fmt, **kw), name=f"x.{fmt.lower()}")
    assert im.mode == "RGB" and im.size == (30, 20)
    assert np.asarray(im).min() >= 250


# ---------------------------------------------------------------------------------------------- bad inputs

def _png_bytes():
    return _save(Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)), "PNG")


def test_corrupt_image(tmp_path):
    data = bytearray(_png_bytes())
    data[60:400] = b"\x00" * 340            # smash the IDAT chunk (CRC mismatch)
    p = tmp_path / "broken.png"
    p.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="broken.png"):
        load_image(p)


def test_truncated_image(tmp_path):
    p = tmp_path / "cut.png"
    p.write_bytes(_png_bytes()[:300])
    with pytest.raises(MediaError, match=r"cut\.png.*(truncated|corrupt)") as ei:
        load_image(p)
    assert "\n" not in str(ei.value)


def test_not_an_image_with_png_extension(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("hello, this is text\n")
    with pytest.raises(MediaError, match=r"notes\.png: not an image"):
        load_image(p)


def test_missing_empty_and_directory(tmp_path):
    with pytest.raises(MediaError, match="nope.png: no such file"):
        load_image(tmp_path / "nope.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(MediaError, match="empty.png"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(MediaError, match="directory"):
        load_image(tmp_path)


def test_decompression_bomb(tmp_path):
    # A 1-bit 20000×20000 PNG compresses to a few kB but is 400 MP.
    p = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(p, optimize=True)
    assert p.stat().st_size < 200_000
    with pytest.raises(MediaError, match=r"bomb\.png: 400000000 pixels exceeds the limit of 100000000"):
        load_image(p)
    q = tmp_path / "big.png"            # 11000×10000 = 110 MP: over our limit, under Pillow's hard one
    Image.new("1", (11000, 10000)).save(q, optimize=True)
    with pytest.raises(MediaError, match=r"big\.png: 11000x10000 = 110000000 pixels exceeds the limit"):
        load_image(q)
    with pytest.raises(MediaError, match="decompression bomb"):
        load_image(_save(Image.new("L", (300, 300)), "PNG"), max_pixels=10_000)


def test_a_png_whose_checksums_fail_is_refused_by_every_loader(tmp_path):
    """Pillow decodes such a file without a word; the GUI, the server and the CLI all load through here."""
    import io
    import struct

    from vision.image_file import check_image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4:at])
    data[at + 4 + length] ^= 0xFF
    Image.open(io.BytesIO(bytes(data))).load()  # what the check is for: plain decoding accepts it
    path = tmp_path / "damaged.png"
    path.write_bytes(bytes(data))
    for check in (load_image, check_image):
        with pytest.raises(MediaError, match=r"damaged\.png: corrupt PNG"):
            check(path)
        with pytest.raises(MediaError, match="corrupt PNG"):
            check(bytes(data))
    assert load_image(buf.getvalue()).size == check_image(buf.getvalue()) == (40, 30)
