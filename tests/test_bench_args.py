"""The arguments shared by the benchmarks that convert one image several ways (bench/alternate.py): a bad
value ends the script with a usage error (exit 2), not a traceback."""
import pytest
from PIL import Image

from bench.alternate import alternate, conversion_args


@pytest.mark.parametrize("argv,words", [
    (["--rounds", "0"], "--rounds must be at least 1"),
    (["--image", "no-such.png"], "no such file"),
    (["--image", "{text}"], "not a readable image"),
])
def test_bad_arguments_are_one_usage_line(tmp_path, capsys, argv, words):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(SystemExit) as e:
        conversion_args("doc", [a.replace("{text}", str(text)) for a in argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_readable_image_is_taken_and_ways_alternate(tmp_path):
    png = tmp_path / "m.png"
    Image.new("RGB", (8, 8), "white").save(png)
    assert conversion_args("doc", ["--image", str(png), "--rounds", "2"]).rounds == 2
    order = []
    runs = alternate({"a": lambda: order.append("a") or 1, "b": lambda: order.append("b") or 2}, 2)
    assert order == ["a", "b", "a", "b"] and [r[1] for r in runs["b"]] == [2, 2]


def test_a_section_is_printed_and_appended_unless_no_append(tmp_path, capsys, monkeypatch):
    import argparse

    import bench.report
    from bench.alternate import publish

    appended = []
    monkeypatch.setattr(bench.report, "append_results", appended.append)
    assert publish("## A section", argparse.Namespace(no_append=True)) == 0
    assert publish("## B section", argparse.Namespace(no_append=False)) == 0
    assert capsys.readouterr().out.split() == ["##", "A", "section", "##", "B", "section"]
    assert appended == ["## B section"]


@pytest.mark.parametrize("argv, words", [(["--pages", "0"], "--pages"), (["--corpus", "/nonexistent"], "no held-out pages")])
def test_the_ocr_bench_refuses_bad_arguments_in_one_line(argv, words, capsys):
    from bench.ocr import parse_args

    with pytest.raises(SystemExit) as e:
        parse_args(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and words in err[-1]


def test_precision_counts_the_read_words_that_are_on_the_page():
    from vision.ocr import word_recall

    def precision(reference, hypothesis):  # as bench/ocr.py scores it: recall the other way round
        return word_recall(hypothesis, reference)

    assert precision("Sign up today", "Sign up (") == pytest.approx(2 / 3)
    assert precision("a b", "") == 1.0


@pytest.mark.parametrize("flag", ["--write", "--ocr-cache"])
def test_the_engine_benchmark_refuses_a_file_where_a_folder_goes(tmp_path, capsys, flag):
    from bench.engine import main

    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    with pytest.raises(SystemExit) as e:
        main([flag, str(afile), "--rounds", "0", "--no-append"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "not a folder" in err and "Traceback" not in err
    assert afile.read_text() == "mine"
