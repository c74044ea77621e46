"""app/scoring/fidelity.py: CIEDE2000 against Sharma et al. (2005), sRGB→Lab, SSIM, Hungarian matching
against brute force, the page scores (self ≈ 1, moved/recoloured/re-worded blocks lower the right
metric, an empty page ≈ 0), the reference-free image score and the well-formed-HTML check."""
import itertools
import math

import numpy as np
import pytest

from app.markup.check import check_html
from app.scoring.blockmatch import _assign, _with_context, block_scores, difference_of_means, text_similarity
from app.scoring.colour import ciede2000, srgb_to_lab
from app.scoring.fidelity import image_score, score_renders, ssim
from app.scoring.render import TextBlock

# Sharma, Wu & Dalal (2005), Table 1: L1 a1 b1 L2 a2 b2 ΔE00 (all 34 pairs).
SHARMA = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


@pytest.mark.parametrize("row", SHARMA, ids=[f"pair{i + 1}" for i in range(len(SHARMA))])
def test_ciede2000_matches_sharma_table(row):
    lab1, lab2, de = row[:3], row[3:6], row[6]
    assert ciede2000(lab1, lab2) == pytest.approx(de, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(de, abs=1e-4)


@pytest.mark.parametrize("rgb, lab", [
    ((255, 255, 255), (100.0, 0.0, 0.0)),
    ((0, 0, 0), (0.0, 0.0, 0.0)),
    ((255, 0, 0), (53.2408, 80.0925, 67.2032)),   # published sRGB primaries in CIELAB (D65)
    ((0, 255, 0), (87.7347, -86.1827, 83.1793)),
    ((0, 0, 255), (32.2970, 79.1875, -107.8602)),
])
def test_srgb_to_lab_reference_values(rgb, lab):
    assert srgb_to_lab(rgb) == pytest.approx(lab, abs=0.02)


def test_ssim_identity_and_constant_images_formula():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 64)).astype(np.float64)
    assert ssim(x, x) == pytest.approx(1.0)
    assert ssim(x, 255 - x) < 0
    # Constant images have zero variance: SSIM = (2·μx·μy + C1) / (μx² + μy² + C1).
    c1 = (0.01 * 255) ** 2
    a, b = np.full((32, 32), 100.0), np.full((32, 32), 180.0)
    assert ssim(a, b) == pytest.approx((2 * 100 * 180 + c1) / (100 ** 2 + 180 ** 2 + c1), rel=1e-9)


def _blk(text, x=0, y=0, w=100, h=20, color=(0, 0, 0)):
    return TextBlock(text, x, y, w, h, color)


def test_hungarian_assignment_equals_brute_force():
    words = ["Pricing", "Price", "Prices", "Pricing plans", "Plans", "Sign in", "Sign up", "Signed"]
    rng = np.random.default_rng(1)
    for _ in range(8):
        ref, cand = rng.choice(words, 5, replace=False), rng.choice(words, 4, replace=False)
        sim = np.array([[text_similarity(a, b) for b in cand] for a in ref])
        best = max(itertools.permutations(range(5), 4), key=lambda p: sum(sim[p[j], j] for j in range(4)))
        pairs, costs = _assign(sim)
        assert sum(-c for c in costs) == pytest.approx(sum(sim[best[j], j] for j in range(4)))
        assert len(pairs) == 4


def test_difference_of_means_by_hand():
    # Common costs are set aside: -0.4 → -0.9 is a gain of 0.5, and the new best pair beats the old one.
    assert difference_of_means([-1.0, -0.4], [-1.0, -0.9]) == pytest.approx(0.5)
    # A better mean whose best pair is worse than before counts as no gain.
    assert difference_of_means([-0.9, -0.2], [-0.8, -0.8]) == 0.0
    assert difference_of_means([-0.9], [-0.6]) == pytest.approx(-0.3)


def test_context_bonus_by_hand():
    cost = -np.array([[0.9, 0.8], [0.1, 0.7]])
    got = _with_context(cost, 0.1, 1)
    # Entries under -0.5 get 0.1 × the two best of their neighbours; -0.1 is left alone.
    assert got[0, 0] == pytest.approx(-0.9 - 0.1 * (0.8 + 0.7))
    assert got[0, 1] == pytest.approx(-0.8 - 0.1 * (0.9 + 0.7))
    assert got[1, 1] == pytest.approx(-0.7 - 0.1 * (0.9 + 0.8))
    assert got[1, 0] == pytest.approx(-0.1)


def test_split_block_is_merged_before_matching():
    """A nav bar Tesseract reads as one line against four links in the other page: Design2Code joins
    consecutive blocks when that improves the matching; no single link is similar enough on its own."""
    ref = [_blk("Home About Pricing Contact", 0, 0, 400, 20)]
    cand = [_blk(w, 100 * k, 0, 80, 20) for k, w in enumerate(["Home", "About", "Pricing", "Contact"])]
    assert all(text_similarity(ref[0].text, c.text) < 0.5 for c in cand)
    block, text, pos, color = block_scores(ref, (400, 100), cand, (400, 100))
    assert block == pytest.approx(1.0) and text == pytest.approx(1.0) and color == 1.0
    assert pos == pytest.approx(1 - 10 / 400)  # merged box spans 0..380, centre 190 against 200
    # Either side may be the split one.
    assert block_scores(cand, (400, 100), ref, (400, 100))[:2] == pytest.approx((1.0, 1.0))


def test_block_match_counts_larger_area_and_larger_unmatched_side():
    ref = [_blk("Hello world", 0, 0, 20, 10), _blk("Quarterly revenue", 0, 50, 10, 10)]
    cand = [_blk("Hello world", 0, 0, 30, 10), _blk("zzz", 0, 80, 5, 10)]
    block, text, _, _ = block_scores(ref, (100, 100), cand, (100, 100))
    # matched max(0.02, 0.03) = 0.03; unmatched ref 0.01, cand 0.005 → 0.03 / (0.03 + 0.01).
    assert block == pytest.approx(0.75) and text == 1.0


def test_block_scores_by_hand():
    ref = [_blk("Hello", 0, 0, 100, 20), _blk("World", 0, 80, 100, 20)]
    cand = [_blk("Hello", 0, 0, 100, 20), _blk("Unrelated", 0, 80, 100, 20, (255, 0, 0))]
    block, text, pos, color = block_scores(ref, (100, 100), cand, (100, 100))
    assert block == pytest.approx(0.5) and text == 1.0 and pos == 1.0 and color == 1.0
    moved = [_blk("Hello", 0, 50, 100, 20)]
    _, _, pos, _ = block_scores(ref[:1], (100, 100), moved, (100, 100))
    assert pos == pytest.approx(0.5)  # centre moved by half the page height
    assert block_scores(ref, (100, 100), [], (100, 100)) == (0.0, 0.0, 0.0, 0.0)


PAGE = """<!DOCTYPE html><html><head><style>body{margin:0;font:16px Arial,sans-serif;color:#1e293b}
header{padding:16px 32px;background:#1e293b;color:#fff}h1{margin:40px 32px 8px;font-size:36px;color:#2563eb}
p{margin:8px 32px}</style></head><body><header>Acme Cloud</header><h1>Ship faster together</h1>
<p>Plan, track and release in one place.</p><p>Trusted by 4,000 teams.</p></body></html>"""


@pytest.fixture(scope="module")
def pages():
    from app.scoring.render import Renderer

    variants = {
        "ref": PAGE,
        "moved": PAGE.replace("h1{margin:40px 32px 8px", "h1{margin:300px 32px 8px 500px"),
        "recoloured": PAGE.replace("color:#2563eb", "color:#dc2626").replace("color:#1e293b}", "color:#16a34a}"),
        "reworded": PAGE.replace("Ship faster together", "Ship slower apart").replace("Trusted by 4,000 teams.",
                                                                                    "Loved by many firms."),
        "empty": "<!DOCTYPE html><html><head></head><body></body></html>",
    }
    with Renderer() as r:
        return {k: r.render(v, width=800, height=600, full_page=False) for k, v in variants.items()}


def test_page_against_itself_scores_one(pages):
    s = score_renders(pages["ref"], pages["ref"])
    assert s.overall == pytest.approx(1.0, abs=1e-6) and s.visual == pytest.approx(1.0, abs=1e-6)


def test_moved_block_lowers_position_only(pages):
    s = score_renders(pages["ref"], pages["moved"])
    assert s.position < 0.9 and s.text == 1.0 and s.color == pytest.approx(1.0) and s.visual < 0.99


def test_recoloured_text_lowers_colour_only(pages):
    s = score_renders(pages["ref"], pages["recoloured"])
    assert s.color < 0.8 and s.text == 1.0 and s.position > 0.99 and s.block_match > 0.99


def test_reworded_text_lowers_text(pages):
    s = score_renders(pages["ref"], pages["reworded"])
    assert s.text < 0.9 and s.position > 0.95 and s.color == pytest.approx(1.0)


def test_empty_page_scores_about_zero(pages):
    s = score_renders(pages["ref"], pages["empty"])
    assert (s.block_match, s.text, s.position, s.color) == (0.0, 0.0, 0.0, 0.0)
    assert s.overall < 0.2


def test_image_score_reference_free(pages):
    from vision.ocr import ocr_image

    ref_img = pages["ref"].image()
    same = image_score(ref_img, pages["ref"], ocr_lines=ocr_image(ref_img).lines)
    other = image_score(ref_img, pages["reworded"], ocr_lines=ocr_image(ref_img).lines)
    assert same.visual == pytest.approx(1.0) and same.color is None
    assert same.text > 0.9 and same.overall > other.overall
    visual_only = image_score(ref_img, pages["empty"])
    assert visual_only.text is None and visual_only.overall == visual_only.visual < same.overall


@pytest.mark.parametrize("html, problem", [
    ("<!DOCTYPE html><html><body><div><p>x</p></body></html>", "</body> closes <div>"),
    ("<!DOCTYPE html><html><body><p>x</p></div></body></html>", "</div> closes <body>"),
    ("<html><body></body></html>", "missing <!DOCTYPE html>"),
    ("<!DOCTYPE html><html><body><section>", "<section> is never closed"),
    ("<!DOCTYPE html><html><body><br></br></body></html>", "void element"),
    ("<!DOCTYPE html><html><head><style></style><style></style></head><body></body></html>", "2 <style> blocks"),
])
def test_check_html_flags_problems(html, problem):
    problems = check_html(html, single_style=True)
    assert any(problem in p for p in problems), problems


def test_check_html_accepts_good_page():
    assert check_html(PAGE, single_style=True) == []
    assert check_html('<!DOCTYPE html><html><body><input type="checkbox"><img src="a.png"></body></html>') == []
