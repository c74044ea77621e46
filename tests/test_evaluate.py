"""app/scoring/evaluate.py (`uicode eval`): one held-out page through the production path with the embedded model;
the report, the saved page and the argument errors."""
import json

import pytest

from app.scoring.evaluate import evaluate, main

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("tesseract"), reason="needs Debian's tesseract-ocr (scripts/setup.sh installs it)")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from train.corpus.builder import build

    out = tmp_path_factory.mktemp("heldout")
    build(out, count=1, seed=0, split="heldout", workers=1, progress=False)
    return out


def test_eval_writes_scores_and_the_generated_page(corpus, tmp_path):
    report = evaluate(corpus, 1, None, "cpu", tmp_path, max_new_tokens=64, examples=1)
    row = report["rows"][0]
    saved = tmp_path / "pages" / f"seed_{row['seed']}.html"
    assert saved.is_file() and saved.read_text().strip()
    own = tmp_path / "pages" / f"seed_{row['seed']}.model.html"   # the model's page before completion
    assert own.is_file() and own.read_text().strip()
    assert json.loads((tmp_path / "eval.json").read_text())["mean"] == report["mean"]
    for k in ("block_match", "text", "position", "color", "visual", "overall"):
        assert 0.0 <= row[k] <= 1.0
    assert row["new_tokens"] <= 64 and report["ocr"] is True and report["best_of"] == 1
    assert report["by_kind"][row["kind"]]["pages"] == 1
    assert report["by_kind"][row["kind"]]["overall"] == pytest.approx(row["overall"], abs=1e-4)
    assert (tmp_path / "side_by_side_1.png").is_file()
    assert [json.loads(l) for l in (tmp_path / "rows.jsonl").read_text().splitlines()] == report["rows"]
    assert report["grounded"] is True and isinstance(row["raw_well_formed"], bool)
    for k in ("abs_text_share", "overlap_page", "overlap_390", "overlap_page_beyond", "overlap_390_beyond",
              "sideways_390_beyond", "d2c_768", "d2c_390"):  # the code-quality measures (app.scoring.quality)
        assert k in row and k in report["mean"]
    assert isinstance(row["sideways_390_beyond"], bool) and 0.0 <= report["mean"]["sideways_390_beyond"] <= 1.0
    assert "model_share" in row and row["seed"] is not None and "name" not in row


def test_eval_without_ocr_withholds_the_ocr_lines(corpus, tmp_path, monkeypatch):
    import app.pipeline

    calls = []
    real = app.pipeline.ocr_prompt_text
    monkeypatch.setattr(app.pipeline, "ocr_prompt_text", lambda images, lines_of=None: calls.append(1) or real(images, lines_of))
    evaluate(corpus, 1, None, "cpu", tmp_path / "a", max_new_tokens=8, examples=0)
    assert len(calls) == 1
    report = evaluate(corpus, 1, None, "cpu", tmp_path / "b", max_new_tokens=8, examples=0, ocr=False)
    assert len(calls) == 1 and report["ocr"] is False


def test_a_page_that_fails_to_generate_is_scored_empty_and_the_run_goes_on(corpus, tmp_path, monkeypatch):
    import app.pipeline
    from uicode.errors import BackendError

    def fail(self, request, cancel=None):
        raise BackendError("generation failed: out of memory")

    monkeypatch.setattr(app.pipeline.Pipeline, "convert", fail)
    report = evaluate(corpus, 1, None, "cpu", tmp_path, max_new_tokens=8, examples=0)
    row = report["rows"][0]
    assert row["error"] == "generation failed: out of memory" and row["new_tokens"] == 0
    assert row["block_match"] == 0.0 and not row["well_formed"]


def test_a_resumed_run_keeps_the_pages_already_scored(corpus, tmp_path, monkeypatch):
    import app.pipeline

    first = evaluate(corpus, 1, None, "cpu", tmp_path, max_new_tokens=8, examples=0)
    (tmp_path / "rows.jsonl").write_text((tmp_path / "rows.jsonl").read_text() + '{"seed": 9')  # torn last line

    def never(self, request, cancel=None):
        raise AssertionError("a page the interrupted run scored was converted again")

    monkeypatch.setattr(app.pipeline.Pipeline, "convert", never)
    again = evaluate(corpus, 1, None, "cpu", tmp_path, max_new_tokens=8, examples=0, resume=True)
    assert again["rows"] == first["rows"] and again["mean"] == first["mean"]


def test_the_build_command_is_named_when_the_corpus_is_missing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--corpus", str(tmp_path / "none"), "--pages", "3", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert "train.corpus build" in err and "--count 3" in err


@pytest.mark.parametrize("argv, message", [(["--pages", "0"], "--pages"), (["--best-of", "17"], "--best-of")])
def test_eval_bad_arguments_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--corpus", "--out"])
def test_eval_folder_options_that_name_a_file_are_one_line_errors(option, tmp_path, capsys):
    f = tmp_path / "a_file"
    f.write_text("x")
    with pytest.raises(SystemExit) as e:
        main([option, str(f), "--pages", "1"])
    assert e.value.code == 2 and f"{option} {f}: is a file" in capsys.readouterr().err
