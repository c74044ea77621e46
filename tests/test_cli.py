"""`uicode` CLI: help, exit codes, one-line errors for every bad input, batches, atomic output, stdout."""
import json
import os
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from app.cli import _delegate, main, write_atomic
from uicode.errors import UicodeError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from ckpt_factory import write_tiny_k25_checkpoint

    return str(write_tiny_k25_checkpoint(tmp_path_factory.mktemp("tiny"), seed=3))


def good_png(path: Path) -> str:
    im = Image.new("RGB", (120, 80), "white")
    ImageDraw.Draw(im).rectangle((6, 6, 114, 26), fill="#7c3aed")
    im.save(path)
    return str(path)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(path: Path) -> str:
    """A valid PNG header declaring 30000×30000 pixels (900 MP) with almost no data."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) \
        + _png_chunk(b"IEND", b"")
    path.write_bytes(data)
    return str(path)


def bad_input(kind: str, tmp_path: Path) -> tuple[str, str]:
    """(path, a fragment the one-line message must contain) for each kind of bad input."""
    if kind == "missing":
        return str(tmp_path / "nope.png"), "no such file"
    if kind == "unreadable":
        # A socket file: it exists but open() fails for every user, root included (chmod 000 does not stop root).
        path = tmp_path / "sock.png"
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        return str(path), "cannot read"
    if kind == "non-image":
        (tmp_path / "notes.png").write_text("just some text, not pixels")
        return str(tmp_path / "notes.png"), "not an image"
    if kind == "corrupt":
        good = Path(good_png(tmp_path / "full.png")).read_bytes()
        (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
        return str(tmp_path / "cut.png"), "corrupt"
    if kind == "bomb":
        return bomb_png(tmp_path / "bomb.png"), "decompression bomb"
    if kind == "empty video":
        (tmp_path / "empty.mp4").write_bytes(b"")
        return str(tmp_path / "empty.mp4"), "empty"
    if kind == "zero-byte png":
        (tmp_path / "zero.png").write_bytes(b"")
        return str(tmp_path / "zero.png"), "empty file"
    if kind == "bad checksum":
        return bad_crc_png(tmp_path / "crc.png"), "corrupt PNG"
    raise AssertionError(kind)


def bad_crc_png(path: Path) -> str:
    """A PNG that decodes, whose image-data chunk fails its CRC (a damaged download, a bad disk sector)."""
    data = bytearray(Path(good_png(path)).read_bytes())
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4:at])
    data[at + 4 + length] ^= 0xFF  # first byte of the chunk's CRC
    path.write_bytes(bytes(data))
    return str(path)


BAD_KINDS = ["missing", "unreadable", "non-image", "corrupt", "bomb", "empty video", "zero-byte png", "bad checksum"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_is_one_line_exit_2(kind, tmp_path, tiny, capsys):
    path, fragment = bad_input(kind, tmp_path)
    rc = main(["convert", path, "--checkpoint", tiny, "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("uicode: ") and path in err[0] and fragment in err[0], err


@pytest.mark.parametrize("kind", ["zero-byte png", "bad checksum", "non-image"])
def test_a_bad_file_is_refused_before_anything_heavy_loads(kind, tmp_path, tiny):
    """In a fresh interpreter: the one-line refusal comes before the backend is made and before torch (the
    model's, the vision tower's) is imported at all."""
    path, fragment = bad_input(kind, tmp_path)
    probe = ("import sys\nimport app.pipeline as p\n"
             "def no(*a, **k):\n    raise SystemExit('a backend was made')\n"
             "p.make_backend = no\nfrom app.cli import main\n"
             f"rc = main(['convert', {path!r}, '--checkpoint', {tiny!r}])\n"
             "print('torch' in sys.modules, rc)\n")
    # app.pipeline is imported by the probe itself, so only what the refusal imports on top of it counts.
    run = subprocess.run([sys.executable, "-c", probe.replace("import app.pipeline as p", "import app.pipeline as p\n"
                                                              "assert 'torch' not in sys.modules")],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert run.stdout.split() == ["False", "2"], (run.stdout, run.stderr)
    err = run.stderr.strip().splitlines()
    assert len(err) == 1 and path in err[0] and fragment in err[0], err


def test_unwritable_output(tmp_path, tiny, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["convert", good_png(tmp_path / "a.png"), "--checkpoint", tiny, "-o", str(blocker / "out.html"),
               "--max-new-tokens", "2", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and str(blocker / "out.html") in err[0]
    with pytest.raises(UicodeError, match="is a directory"):
        write_atomic(tmp_path, "x")


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "page.html"
    target.write_text("old")
    write_atomic(target, "<p>new</p>")
    assert target.read_text() == "<p>new</p>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temp file left behind


def test_batch_continues_past_a_bad_file(tmp_path, tiny, capsys):
    shots = tmp_path / "shots"
    shots.mkdir()
    good_png(shots / "good.png")
    (shots / "bad.png").write_text("not an image")
    out = tmp_path / "out"
    rc = main(["convert", str(shots), "-o", str(out), "--checkpoint", tiny, "--max-new-tokens", "3",
               "--target", "vue"])
    err = capsys.readouterr().err
    assert rc == 2
    assert (out / "good.vue").exists() and not (out / "bad.vue").exists()
    assert "bad.png: not an image" in err and "1 of 2 request(s) failed" in err


def test_stdout_and_json(tmp_path, tiny, capsys):
    from app.pipeline import ConvertRequest, Pipeline, make_backend

    png = good_png(tmp_path / "m.png")
    want = Pipeline(make_backend("local", checkpoint=tiny)).convert(ConvertRequest(media=(png,), max_new_tokens=3))
    assert main(["convert", png, "--checkpoint", tiny, "--max-new-tokens", "3", "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out == want.code + "\n" and captured.err == ""
    assert main(["convert", png, "--checkpoint", tiny, "--max-new-tokens", "3", "--json", "-q",
                 "--target", "react"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["target"] == "react" and row["inputs"] == [png] and row["new_tokens"] <= 3
    assert row["path"] == "model"  # a non-default checkpoint is taken to write every target itself
    # who wrote the page, and the layout the engine read from the input
    assert 0.0 <= row["model_share"] <= 1.0 and row["sketch"].startswith("page [0,0,")


def test_free_text_bands_and_model_only_change_the_request(tmp_path, tiny, monkeypatch):
    import app.pipeline

    seen = []
    real = app.pipeline.Pipeline.stream
    monkeypatch.setattr(app.pipeline.Pipeline, "stream", lambda self, request, cancel=None: seen.append(
        (request.ground_text, request.split, request.engine)) or real(self, request, cancel))
    png = good_png(tmp_path / "m.png")
    for extra in ([], ["--free-text"], ["--bands"], ["--model-only"]):
        assert main(["convert", png, "--checkpoint", tiny, "--max-new-tokens", "2", "-q", *extra]) == 0
    assert seen == [(True, False, True), (False, False, True), (True, True, True), (True, False, False)]


def test_usage_errors(tmp_path, tiny, capsys, monkeypatch):
    monkeypatch.setenv("UICODE_CONFIG", str(tmp_path / "no-config.toml"))
    png = good_png(tmp_path / "m.png")
    assert main(["convert", png, "--checkpoint", tiny, "--temperature", "-1"]) == 2
    assert "temperature" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["convert", png, "--target", "svelte"])
    assert e.value.code == 2
    assert main(["convert", png, "--checkpoint", str(tmp_path / "none")]) == 2
    assert "no such checkpoint" in capsys.readouterr().err
    assert main(["convert", png, "--backend", "openai"]) == 2
    assert "needs --base-url" in capsys.readouterr().err
    assert main([]) == 2


@pytest.mark.parametrize("command,words", [
    ([], ["convert", "serve", "gui", "quantize", "eval", "Exit codes"]),
    (["convert"], ["--target", "--backend", "--checkpoint", "--base-url", "--model", "--best-of", "--free-text", "--bands", "--model-only",
                   "--max-new-tokens", "--temperature", "--top-p", "--seed", "--device", "--json", "-o"]),
    (["serve"], ["--host", "--port", "--api-key", "--max-queue", "--max-body-mb", "--max-images", "--max-pixels",
                 "--max-tokens"]),
])
def test_help_documents_options(command, words, capsys):
    with pytest.raises(SystemExit) as e:
        main(command + ["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for w in words:
        assert w in out


def test_delegated_commands():
    with pytest.raises(UicodeError, match="not available"):
        _delegate("train.no_such_module", "uicode eval", [])
    with pytest.raises(UicodeError, match="main is missing"):
        _delegate("app.events", "thing", [])


def test_serve_refuses_public_bind_without_key(capsys, tmp_path, tiny):
    assert main(["serve", "--host", "0.0.0.0", "--checkpoint", tiny]) == 2
    assert "--api-key" in capsys.readouterr().err


def test_console_script_prints_no_traceback(tmp_path):
    exe = ROOT / ".venv" / "bin" / "uicode"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    p = subprocess.run(cmd + ["convert", str(tmp_path / "missing.png")], capture_output=True, text=True,
                       timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip() == f"uicode: {tmp_path / 'missing.png'}: no such file"


def test_write_atomic_gives_the_file_the_users_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out.html", "<p>x</p>")
    finally:
        os.umask(old)
    assert (tmp_path / "out.html").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


@pytest.mark.parametrize("var, value, words", [("UICODE_KERNELS", "cuda", "expected one of"),
                                               ("UICODE_AUTOTUNE_PIN", "mla_decode", "kernel=index")])
def test_a_kernel_switch_that_means_nothing_is_one_line_exit_2(var, value, words, tmp_path, tiny, capsys,
                                                                monkeypatch):
    from kernels import dispatch

    monkeypatch.setenv(var, value)
    dispatch._resolve_backend.cache_clear()
    try:
        rc = main(["convert", good_png(tmp_path / "a.png"), "--checkpoint", tiny, "--max-new-tokens", "2", "-q",
                   "-o", str(tmp_path / "o.html")])
    finally:
        monkeypatch.delenv(var)
        dispatch._resolve_backend.cache_clear()
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith(f"uicode: {var}") and words in err[0], err
