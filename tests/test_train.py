"""The mini-model recipe: prompt encoding, OCR imitation, fake-quant, load balancing, train → export → load."""
import io
import json
import random

import pytest
import torch
from PIL import Image

from model.tokenizer import Tokenizer
from train.examples import Batcher, Example, collate, encode_example, ocr_like_lines, target_text
from train.mini import mini_config, unquantized

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
TOK_DIR = ROOT / "assets" / "mini"


@pytest.fixture(scope="module")
def tok():
    return Tokenizer.from_dir(TOK_DIR)


def _example(seed: int, size=(320, 200)) -> Example:
    img = Image.new("RGB", size, (250, 250, 250))
    img.paste((37, 99, 235), (20, 20, 120, 60))
    buf = io.BytesIO()
    img.save(buf, format="WEBP", quality=90)
    html = f"<!DOCTYPE html><html><body><h1>Page {seed}</h1></body></html>"
    return Example(seed, buf.getvalue(), "[6,10,31,20] Page", html)


def test_encode_example_is_the_production_prompt_plus_fenced_target(tok):
    enc = encode_example(_example(1), tok, in_patch_limit=1024)
    prompt, target = enc.ids[:enc.loss_start], enc.ids[enc.loss_start:]
    assert prompt.count(tok.media_pad_id) == enc.item.num_tokens
    text = tok.decode(prompt)
    assert text.endswith("<|im_assistant|>assistant<|im_middle|><think></think>")  # instant mode
    assert "[6,10,31,20] Page" in text  # the OCR lines reach the user turn
    assert target[-1] == tok.im_end_id
    assert tok.decode(target[:-1]) == target_text(_example(1).html)


def test_collate_labels_are_next_tokens_of_the_target_only(tok):
    encs = [encode_example(_example(i), tok, 1024) for i in (1, 22)]
    batch = collate(encs, tok.pad_id)
    for b, e in enumerate(encs):
        labels = batch["labels"][b]
        assert (labels[:e.loss_start - 1] == -100).all()
        assert labels[e.loss_start - 1:len(e.ids) - 1].tolist() == e.ids[e.loss_start:]
        assert (labels[len(e.ids) - 1:] == -100).all()
    assert batch["grid_thws"].tolist() == [list(e.item.grid_thw) for e in encs]
    assert batch["pixel_values"].shape[0] == sum(e.item.pixel_values.shape[0] for e in encs)


def test_collate_pixels_are_the_production_preprocessing_bit_for_bit(tok):
    from vision.preprocess import preprocess_image

    ex = _example(3, size=(333, 217))
    enc = encode_example(ex, tok, 1024)
    assert enc.item.pixel_values.dtype == torch.uint8            # stored compactly
    ref = preprocess_image(Image.open(io.BytesIO(ex.png)), in_patch_limit=1024).pixel_values
    assert torch.equal(collate([enc], tok.pad_id)["pixel_values"], ref)


def test_encode_examples_in_worker_processes_matches_one_by_one(tok):
    from train.examples import encode_examples

    exs = [_example(i, size=(200 + 7 * i, 150)) for i in range(70)]
    par = encode_examples(exs, tok, 1024, workers=2)
    for ex, e in zip(exs, par):
        ref = encode_example(ex, tok, 1024)
        assert e.ids == ref.ids and e.loss_start == ref.loss_start
        assert torch.equal(e.item.pixel_values, ref.item.pixel_values)


def test_dense_expert_path_matches_the_routed_experts_in_value_and_gradient():
    import copy

    from model.build import build_model
    from model.moe import MoE
    from train.dense_moe import use_dense_experts

    torch.manual_seed(0)
    cfg = unquantized(mini_config(600, "tiny"))
    cfg["text_config"]["n_routed_experts"], cfg["text_config"]["num_experts_per_tok"] = 6, 2
    routed = build_model(cfg, device="cpu", dtype=torch.float64)
    dense = copy.deepcopy(routed)
    assert use_dense_experts(dense) == 1
    ids = torch.randint(0, 300, (2, 23))
    a, b = routed(ids), dense(ids)
    torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)
    a.square().sum().backward()
    b.square().sum().backward()
    for (name, p), q in zip(routed.named_parameters(), dense.parameters()):
        if p.grad is None:
            assert q.grad is None or not q.grad.any(), name
        else:
            torch.testing.assert_close(q.grad, p.grad, rtol=1e-9, atol=1e-12, msg=name)
    # and the dense path is really taken: it reads the experts' live weights
    dense_moe = [m for m in dense.modules() if isinstance(m, MoE)][0]
    with torch.no_grad():
        for e in dense_moe.experts:
            e.down_proj.weight.mul_(2)
    assert not torch.allclose(dense(ids), a)


def test_batcher_respects_the_token_budget_and_covers_every_example(tok):
    encs = [encode_example(_example(i), tok, 1024) for i in range(6)]
    budget = 3 * max(len(e.ids) for e in encs)
    batches = Batcher(encs, budget, seed=0).epoch()
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert all(len(b) * max(len(encs[i].ids) for i in b) <= budget for b in batches)


def test_ocr_like_lines_merge_a_row_and_drop_icons():
    blocks = [["Home", 10, 10, 40, 16, [0, 0, 0]], ["Pricing", 56, 10, 50, 16, [0, 0, 0]],
              ["★", 400, 10, 12, 16, [0, 0, 0]], ["Title", 10, 60, 80, 30, [0, 0, 0]]]
    merged = []
    for seed in range(40):
        lines = ocr_like_lines(blocks, random.Random(seed))
        texts = [ln.text for ln in lines]
        merged.append(any(t.startswith("Home P") for t in texts))
        assert "Title" in texts or len(texts) <= 3  # a block on its own row stays its own line
    assert sum(merged) >= 30  # the two close words on one row come out as one line unless one is dropped
    drop_rate = sum("★" in ln.text for s in range(200) for ln in ocr_like_lines(blocks, random.Random(s))) / 200
    assert drop_rate < 0.3  # icon glyphs are mostly missed, as Tesseract does


def test_fake_int4_forward_is_the_compressed_tensors_round_trip_and_backward_is_identity():
    from tests.ckpt_factory import ct_quantize
    from train.train import FakeInt4

    w = torch.randn(16, 64, requires_grad=True)
    out = FakeInt4()(w)
    _, _, _, deq = ct_quantize(w.detach())  # compressed-tensors' own quantize → dequantize
    torch.testing.assert_close(out.detach(), deq.to(out.dtype), rtol=0, atol=1e-6)
    out.sum().backward()
    assert torch.equal(w.grad, torch.ones_like(w))


def test_load_balancer_raises_the_bias_of_idle_experts():
    from model.moe import MoEGate
    from model.config import load_config
    from train.train import LoadBalancer

    cfg = load_config(unquantized(mini_config(4004, "tiny"))).text
    gate = MoEGate(cfg)
    with torch.no_grad():
        gate.weight.zero_()
        gate.weight[0] += 1.0  # expert 0 wins for positive inputs
    lb = LoadBalancer(gate, rate=0.01)
    gate(torch.ones(32, cfg.hidden_size))
    before = gate.e_score_correction_bias.clone()
    lb.step()
    delta = gate.e_score_correction_bias - before
    # top-2 of 4: expert 0 and one other took all 64 selections; the two idle experts move up, the busy down
    assert delta[0] < 0
    assert int((delta > 0).sum()) == cfg.n_routed_experts - cfg.num_experts_per_tok
    assert int((delta < 0).sum()) == cfg.num_experts_per_tok


def test_train_resume_export_and_load_end_to_end(tmp_path, tok):
    import gzip

    from model import load_model
    from model.generate import SamplingParams, generate_text
    from train.train import main

    pack = tmp_path / "train.pack"
    examples = [_example(i).__dict__ for i in range(4)]
    with gzip.open(pack, "wb") as fh:
        torch.save({"version": 1, "in_patch_limit": 256, "examples": examples}, fh)
    run, out = tmp_path / "run", tmp_path / "mini"
    common = ["--pack", str(pack), "--heldout", str(pack), "--tokenizer", str(TOK_DIR), "--run", str(run),
              "--size", "tiny", "--device", "cpu", "--batch-tokens", "4000", "--warmup", "1", "--qat-frac", "0.5",
              "--eval-every", "100", "--save-every", "1"]
    assert main(common + ["--steps", "2"]) == 0
    assert torch.load(run / "state.pt", weights_only=False)["step"] == 2
    assert main(common + ["--steps", "3", "--export", str(out)]) == 0  # resumes, enters QAT, exports
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "heldout_loss" in r] == [2, 3]  # the second run resumed at 2
    names = set(json.loads((out / "model.safetensors.index.json").read_text())["weight_map"])
    assert "language_model.model.layers.1.mlp.experts.0.down_proj.weight_packed" in names
    assert "vision_tower.patch_embed.pos_emb.weight" in names
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "kimi_k25" and cfg["quantization_config"]["format"] == "pack-quantized"
    assert json.loads((out / "preprocessor_config.json").read_text())["media_proc_cfg"]["in_patch_limit"] == 256
    model = load_model(out)
    res = generate_text(model, Tokenizer.from_dir(out), [1, 2, 3], SamplingParams(max_new_tokens=3, temperature=0))
    assert res.new_tokens >= 1


def test_ocr_like_lines_read_a_row_of_far_apart_cells_as_one_line_mostly():
    """Tesseract reads a table row or a nav bar as one line even across wide gaps; the imitation must too
    (it kept cells apart before, and a model trained on that did worse on real OCR)."""
    row = [["#2362", 10, 100, 40, 14, [0, 0, 0]], ["Noah Brown", 300, 100, 80, 14, [0, 0, 0]],
           ["Shipped", 600, 100, 60, 14, [0, 0, 0]]]
    whole = sum(len(ocr_like_lines(row, random.Random(s))) == 1 for s in range(200))
    assert whole >= 140


def test_train_cli_bad_pack_or_init_is_a_one_line_error_and_exit_2(tmp_path, capsys):
    import gzip

    from train.train import main

    bad = tmp_path / "bad.pack"
    bad.write_bytes(b"not a pack")
    for pack in (tmp_path / "missing.pack", bad):
        with pytest.raises(SystemExit) as exc:
            main(["--pack", str(pack), "--tokenizer", str(TOK_DIR), "--run", str(tmp_path / "run")])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.startswith("error: ") and str(pack) in err and err.count("\n") == 1
    good = tmp_path / "train.pack"
    with gzip.open(good, "wb") as fh:
        torch.save({"version": 1, "in_patch_limit": 256, "examples": [_example(i).__dict__ for i in range(2)]}, fh)
    other = tmp_path / "small.pt"  # a saved state of another model size
    torch.save({"model": {"language_model.lm_head.weight": torch.zeros(3, 3)}, "step": 1}, other)
    for init in (bad, other):
        with pytest.raises(SystemExit) as exc:
            main(["--pack", str(good), "--tokenizer", str(TOK_DIR), "--run", str(tmp_path / "run2"), "--size", "tiny",
                  "--device", "cpu", "--init", str(init)])
        last = capsys.readouterr().err.splitlines()[-1]  # after the progress lines
        assert exc.value.code == 2 and last.startswith("error: --init ") and str(init) in last


def test_a_new_run_starts_from_a_runs_portable_state(tmp_path):
    """`--init RUN.pt`: a run's committed state (fake-quant latent weights included) starts a new run on a new
    schedule, its weights exactly the saved bf16 ones."""
    import gzip

    import train.train as trainer

    pack = tmp_path / "train.pack"
    with gzip.open(pack, "wb") as fh:
        torch.save({"version": 1, "in_patch_limit": 256, "examples": [_example(i).__dict__ for i in range(4)]}, fh)
    first = tmp_path / "committed" / "first.pt"
    common = ["--pack", str(pack), "--tokenizer", str(TOK_DIR), "--size", "tiny", "--device", "cpu",
              "--batch-tokens", "4000", "--warmup", "1", "--save-every", "1", "--qat-frac", "0.5"]
    assert trainer.main(common + ["--run", str(tmp_path / "a"), "--steps", "2", "--portable", str(first)]) == 0
    saved = torch.load(first, weights_only=False)
    assert any("parametrizations" in k for k in saved["model"])  # saved in the QAT phase
    assert trainer.main(common + ["--run", str(tmp_path / "b"), "--steps", "0", "--init", str(first)]) == 0
    again = torch.load(tmp_path / "b" / "state.pt", weights_only=False)
    assert again["step"] == 0
    for name, value in saved["model"].items():
        plain = name.replace(".parametrizations.weight.original", ".weight")
        assert torch.equal(again["model"][plain].to(value.dtype), value), name


def test_a_runs_portable_state_exports_as_a_checkpoint(tmp_path, capsys):
    """`python -m train.export RUN.pt OUT`: the committed state of a run becomes a K2.5-layout checkpoint the
    app loads, with the patch budget of the run's packs (kept in the state), its weights the saved ones (read back with safetensors, not our loader); a file that is not a
    run's state is one line and exit 2."""
    import gzip
    import json

    from safetensors import safe_open

    import train.export as exporter
    import train.train as trainer

    pack = tmp_path / "train.pack"
    with gzip.open(pack, "wb") as fh:
        torch.save({"version": 1, "in_patch_limit": 256, "examples": [_example(i).__dict__ for i in range(4)]}, fh)
    state = tmp_path / "run.pt"
    assert trainer.main(["--pack", str(pack), "--tokenizer", str(TOK_DIR), "--size", "tiny", "--device", "cpu",
                         "--batch-tokens", "4000", "--warmup", "1", "--steps", "2", "--save-every", "1",
                         "--run", str(tmp_path / "a"), "--portable", str(state)]) == 0
    out = tmp_path / "ckpt"
    assert exporter.main([str(state), str(out), "--tokenizer", str(TOK_DIR), "--prompt", "sketch"]) == 0
    assert json.loads((out / "uicode.json").read_text())["sketch_prompt"] is True
    assert json.loads((out / "preprocessor_config.json").read_text())["media_proc_cfg"]["in_patch_limit"] == 256
    saved = torch.load(state, weights_only=False)["model"]
    index = json.loads((out / "model.safetensors.index.json").read_text())["weight_map"]
    name = next(n for n in index if n.endswith("embed_tokens.weight"))
    with safe_open(out / index[name], "pt") as f:
        assert torch.equal(f.get_tensor(name), saved[name].to(torch.bfloat16))
    capsys.readouterr()
    assert exporter.main([str(pack), str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a run's portable state" in err[0]


def test_stop_minutes_saves_and_the_next_call_resumes_on_the_same_schedule(tmp_path, monkeypatch, capsys):
    """`--stop-minutes` ends a call early (a device lease running out) without changing the schedule; the next
    call resumes at the saved step and finishes the planned steps. A fake clock advances 1 s per reading."""
    import gzip
    import itertools

    import train.train as trainer

    pack = tmp_path / "train.pack"
    with gzip.open(pack, "wb") as fh:
        torch.save({"version": 1, "in_patch_limit": 256, "examples": [_example(i).__dict__ for i in range(4)]}, fh)
    run = tmp_path / "run"
    common = ["--pack", str(pack), "--tokenizer", str(TOK_DIR), "--run", str(run), "--size", "tiny",
              "--device", "cpu", "--batch-tokens", "4000", "--warmup", "1", "--steps", "8", "--save-every", "100"]
    clock = itertools.count(1_000_000.0)
    monkeypatch.setattr(trainer.time, "time", lambda: next(clock))
    assert trainer.main(common + ["--stop-minutes", str(6 / 60)]) == 0
    state = torch.load(run / "state.pt", weights_only=False)
    stopped = state["step"]
    assert 0 < stopped < 8 and state["total_steps"] == 8
    capsys.readouterr()
    assert trainer.main(common) == 0
    assert f"at step {stopped}" in capsys.readouterr().err
    assert torch.load(run / "state.pt", weights_only=False)["step"] == 8


def test_a_sketch_prompt_carries_the_engines_sketch_of_the_screenshot(tok, tmp_path):
    """Packed with --sketch, a page carries the layout tree the engine reads from its screenshot and OCR lines,
    and `--prompt sketch` puts it in the prompt where `uicode convert` puts it (instead of the OCR lines)."""
    from app.prompt.plan import SKETCH_HEADER
    from train.examples import page_sketch
    from vision.ocr import OcrLine

    img = Image.new("RGB", (640, 400), "white")
    img.paste((15, 118, 110), (0, 0, 640, 60))
    for x in range(40, 340, 9):  # the line's letters (a line with no ink would be a misread, and left out)
        img.paste((30, 30, 30), (x, 144, x + 3, 160))
    lines = [OcrLine("Sign in to continue", 40, 140, 300, 24, 90.0)]
    drawn = page_sketch(img, lines)
    assert drawn.startswith("page [0,0,100,100]") and '"Sign in to continue"' in drawn
    ex = _example(5)
    ex.sketch = drawn
    text = tok.decode(encode_example(ex, tok, 1024, prompt="sketch").ids)
    assert SKETCH_HEADER.strip() in text and '"Sign in to continue"' in text and "[6,10,31,20] Page" not in text
    assert "[6,10,31,20] Page" in tok.decode(encode_example(ex, tok, 1024, prompt="ocr").ids)
    with pytest.raises(ValueError, match="no layout sketch"):
        encode_example(_example(6), tok, 1024, prompt="sketch")


def test_a_sketch_trained_model_is_exported_to_be_prompted_with_the_sketch(tmp_path, tok):
    """What the export writes is what the local backend reads back: prompted with the sketch, not OCR lines, and
    declared trained on it."""
    from app.backends.local import _read_meta
    from model.build import build_model
    from train.export import export_checkpoint

    cfg = mini_config(tok.vocab_size, size="tiny")
    model = build_model(unquantized(cfg), device="cpu", dtype=torch.float32)
    out = export_checkpoint(model, cfg, TOK_DIR, tmp_path / "ckpt", in_patch_limit=256, prompt="sketch")
    assert _read_meta(out, False) == (("html",), False, True, True)  # and its text grounded in the sketch


def test_a_fresh_machine_resumes_from_the_portable_state_at_its_step_on_the_same_schedule(tmp_path, capsys,
                                                                                         monkeypatch):
    """Only the committed portable state travels (no run folder, no optimizer moments): the next call resumes
    at its step with its planned total. A fake clock advances 1 s per reading, as in the test above."""
    import gzip
    import itertools

    import train.train as trainer

    pack = tmp_path / "train.pack"
    with gzip.open(pack, "wb") as fh:
        torch.save({"version": 1, "in_patch_limit": 256, "examples": [_example(i).__dict__ for i in range(4)]}, fh)
    portable = tmp_path / "committed" / "run.pt"
    common = ["--pack", str(pack), "--tokenizer", str(TOK_DIR), "--size", "tiny", "--device", "cpu",
              "--batch-tokens", "4000", "--warmup", "1", "--steps", "5", "--save-every", "1",
              "--portable", str(portable)]
    clock = itertools.count(1_000_000.0)
    monkeypatch.setattr(trainer.time, "time", lambda: next(clock))
    assert trainer.main(common + ["--run", str(tmp_path / "machine1"), "--stop-minutes", str(6 / 60)]) == 0
    saved = torch.load(portable, weights_only=False)
    assert saved["portable"] and 0 < saved["step"] < 5 and saved["total_steps"] == 5 and "optimizer" not in saved
    assert all(v.dtype == torch.bfloat16 for v in saved["model"].values() if v.is_floating_point())
    capsys.readouterr()
    assert trainer.main(common + ["--run", str(tmp_path / "machine2")]) == 0
    assert f"at step {saved['step']}" in capsys.readouterr().err
    assert torch.load(tmp_path / "machine2" / "state.pt", weights_only=False)["step"] == 5
