"""Video: K2.5's frame-index rule, timestamps, chunking into media items, keyframe mode, bad files.

Videos are written here with OpenCV (mp4v) from frames whose flat colour encodes the frame number, so the
test can tell which frames were decoded.
"""
import numpy as np
import pytest

from uicode.errors import MediaError
from vision.preprocess import image_token_count
from vision.video import (format_timestamp, load_video, sample_frame_indices, select_keyframes,
                          video_chunks)


def _write(path, frames, fps):
    import cv2
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert vw.isOpened()
    for f in frames:
        vw.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    vw.release()
    return path


def _coded(n, h=48, w=64):
    """Frame i is flat grey level 2·i (0..254), so decoded colour → index."""
    return [np.full((h, w, 3), 2 * i, dtype=np.uint8) for i in range(n)]


def test_indices_30fps_10s():
    # N = 300, 2 fps → n = 20, round(linspace(0, 299, 20)) — step 299/19 = 15.737
    assert sample_frame_indices(300, 30.0) == [0, 16, 31, 47, 63, 79, 94, 110, 126, 142, 157, 173, 189,
                                               205, 220, 236, 252, 268, 283, 299]


def test_indices_other_rates():
    assert sample_frame_indices(10, 1.0) == list(range(10))           # fps < 2: every frame
    assert sample_frame_indices(1, 30.0) == [0]                        # n never below 1
    assert sample_frame_indices(5, 60.0) == [0]                        # round(5·2/60) = 0 → 1
    assert sample_frame_indices(600, 30.0, max_frames=4) == [0, 200, 399, 599]
    assert sample_frame_indices(0, 30.0) == []


def test_timestamp_format():
    assert format_timestamp(0) == "00:00:00.000"
    assert format_timestamp(63 / 30) == "00:00:02.100"
    assert format_timestamp(3725.0625) == "01:02:05.062" or format_timestamp(3725.0625) == "01:02:05.063"
    assert format_timestamp(59.9996) == "00:01:00.000"


def test_uniform_decode_and_chunks(tmp_path):
    p = _write(tmp_path / "clip.mp4", _coded(90), 30)                  # 3 s at 30 fps
    v = load_video(p)
    assert v.num_frames == 90 and v.fps == pytest.approx(30.0)
    assert v.indices == [0, 18, 36, 53, 71, 89]
    import cv2
    cap, every = cv2.VideoCapture(str(p)), []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        every.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    for f, i in zip(v.frames, v.indices):
        np.testing.assert_array_equal(f, every[i])
    levels = [f.mean() for f in v.frames]
    assert all(b > a + 20 for a, b in zip(levels, levels[1:]))        # really distinct, increasing frames
    chunks = video_chunks(v)
    assert [c.frame_indices for c in chunks] == [(0, 18, 36, 53), (71, 89)]
    assert [c.timestamp for c in chunks] == ["00:00:00.000", "00:00:02.367"]
    assert chunks[0].item.grid_thw == (4, 4, 6) and chunks[1].item.grid_thw == (2, 4, 6)
    assert chunks[0].item.pixel_values.shape == (4 * 24, 3, 14, 14)
    assert chunks[0].num_tokens == chunks[1].num_tokens == 6   # temporal pooling: a chunk costs one frame


def test_full_hd_chunk_is_1032_tokens(tmp_path):
    p = _write(tmp_path / "hd.mp4", [np.full((1080, 1920, 3), 90, np.uint8)] * 4, 2)
    chunks = video_chunks(p)
    assert len(chunks) == 1
    assert chunks[0].item.grid_thw == (4, 48, 86)
    assert chunks[0].num_tokens == 1032 == image_token_count(1920, 1080, 4096)


def _screen_recording():
    """10 fps, 50 frames: blank page with a moving cursor; a dialog opens at frame 20; the page changes at 35."""
    frames = []
    for i in range(50):
        f = np.full((90, 160, 3), 245, np.uint8)
        if i >= 35:
            f[:, :] = (30, 60, 200)
            f[10:30, 10:150] = 255
        elif i >= 20:
            f[20:70, 40:120] = (20, 20, 20)
        f[5 + i % 40:9 + i % 40, 5 + 2 * i:9 + 2 * i] = 0                # 4×4 "cursor"
        frames.append(f)
    return frames


def test_keyframes_follow_screen_changes(tmp_path):
    p = _write(tmp_path / "screen.mp4", _screen_recording(), 10)
    v = load_video(p, mode="keyframes", scan_fps=5)                    # scans every 2nd frame
    assert v.indices == [0, 20, 36]
    chunks = video_chunks(v)
    assert len(chunks) == 1 and chunks[0].item.grid_thw[0] == 3
    assert chunks[0].frame_indices == (0, 20, 36)
    # with the threshold at 0 every scanned frame counts (the cursor moves), capped to the biggest changes
    v_all = load_video(p, mode="keyframes", scan_fps=5, change_threshold=0.0, max_keyframes=3)
    assert v_all.indices[0] == 0 and set(v_all.indices[1:]) == {20, 36}


def test_select_keyframes_cap_keeps_first_and_largest_in_order():
    scores = [1.0, 0.2, 0.001, 0.5, 0.3, 0.9, 0.05]
    assert select_keyframes(scores, threshold=0.01) == [0, 1, 3, 4, 5, 6]
    assert select_keyframes(scores, threshold=0.01, max_keyframes=3) == [0, 3, 5]
    assert select_keyframes([], 0.01) == []


def test_bad_videos(tmp_path):
    with pytest.raises(MediaError, match="nothere.mp4: no such file"):
        load_video(tmp_path / "nothere.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match="empty.mp4: empty file"):
        load_video(tmp_path / "empty.mp4")
    (tmp_path / "text.mp4").write_text("definitely not a video\n" * 50)
    with pytest.raises(MediaError, match="text.mp4"):
        load_video(tmp_path / "text.mp4")
    rng = np.random.default_rng(0)
    (tmp_path / "noise.avi").write_bytes(rng.integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(MediaError, match="noise.avi"):
        video_chunks(tmp_path / "noise.avi")
    good = (_write(tmp_path / "ok.mp4", _coded(30), 30)).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(good[:200])
    with pytest.raises(MediaError, match="cut.mp4"):
        load_video(tmp_path / "cut.mp4", mode="keyframes")


class _MisreportingCapture:
    """A real capture whose container metadata reports a wrong frame count (common with some muxers)."""

    def __init__(self, cap, count):
        self._cap, self._count = cap, count

    def get(self, prop):
        import cv2
        return self._count if prop == cv2.CAP_PROP_FRAME_COUNT else self._cap.get(prop)

    def __getattr__(self, name):
        return getattr(self._cap, name)


@pytest.mark.parametrize("reported", [150, 40, 0])   # too many, too few, unknown
def test_wrong_container_frame_count_still_uses_true_count(tmp_path, monkeypatch, reported):
    import vision.video as vv
    p = _write(tmp_path / "clip.mp4", _coded(90), 30)
    honest = load_video(p)
    real_open = vv._open
    monkeypatch.setattr(vv, "_open", lambda path, label: _MisreportingCapture(real_open(path, label), reported))
    v = load_video(p)
    assert v.num_frames == 90 and v.indices == honest.indices == [0, 18, 36, 53, 71, 89]
    for a, b in zip(v.frames, honest.frames):
        np.testing.assert_array_equal(a, b)
