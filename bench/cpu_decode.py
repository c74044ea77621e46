"""CPU decode benchmark: our engine vs transformers' `generate` on the same weights.

    .venv/bin/python bench/cpu_decode.py [--prompt 256] [--new 256] [--repeats 2] [--threads 1,2] [--no-append]

What it measures: one K2.5-family model (~48M parameters: MLA with q/kv LoRA, YaRN, sigmoid
noaux_tc router, one dense layer then MoE layers with INT4 routed experts and a shared expert)
built with transformers' DeepseekV3 by `tests/ckpt_factory.py` and written in the K2.5 on-disk
layout, routed experts INT4-packed. transformers runs the same weights (its experts replaced by
their INT4 round trip), so both engines compute the same function; each engine's greedy tokens are
checked against transformers' no-cache forward over the whole sequence.

Each engine runs in its own subprocess per thread count (batch 1, greedy, prompt P tokens, N new
tokens, fp32) after one short warm-up generation; the best of `--repeats` runs is kept. Reported:
prefill tokens/s (prompt tokens / time to the first new token), decode tokens/s (N−1 tokens / the
rest), the same per CPU-second, a memory-bandwidth floor, and the peak RSS added by loading +
generating over the process's RSS after its imports, against the weights' size in fp32. Results
are appended to bench/RESULTS.md.

What it does not do: GPU timings, batching, long contexts, the vision tower.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.report import append_results, cpu_model  # noqa: E402

# K2.5's shape family at ~40M parameters (K2.5: hidden 7168, 61 layers, 64 heads, q_lora 1536,
# kv_lora 512, rope 64 / nope 128 / v 128, 384 experts top-8 of width 2048, 1 shared, vocab 163,840).
BENCH_SHAPE = dict(
    vocab_size=16384, hidden_size=512, intermediate_size=1408, moe_intermediate_size=192,
    num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=8,
    n_shared_experts=1, n_routed_experts=16, num_experts_per_tok=4,
    kv_lora_rank=128, q_lora_rank=192, qk_rope_head_dim=32, v_head_dim=64, qk_nope_head_dim=64,
    max_position_embeddings=4096,
)


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _rss_parts() -> dict:
    """Current anonymous and file-backed resident bytes (mapped checkpoint pages are file-backed)."""
    with open("/proc/self/status") as f:
        return {l.split(":")[0]: int(l.split()[1]) * 1024 for l in f if l.startswith(("RssAnon", "RssFile"))}


def _peak_rss() -> int:
    """VmHWM of this process. Not `getrusage().ru_maxrss`: Linux carries that over `execve`, so a
    worker would inherit the parent's high-water mark."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


# ------------------------------------------------------------------------------------------ setup

def write_bench_model(out: Path, seed: int = 0):
    """Write our checkpoint (out/ours) and the transformers copy (out/hf); return (facts, that model).

    Routed experts are quantized once with `model.int4.quantize_int4` (bit-exact with
    compressed-tensors' packer, tests/test_int4.py); the transformers copy gets the dequantized
    values, so both engines hold the same function. Needs only transformers (no compressed-tensors),
    so it also runs on machines without the test oracles.
    """
    import torch

    from ckpt_factory import is_routed_expert, make_reference_model, reference_state_dict, text_config_dict
    from model.checkpoint import save_checkpoint
    from model.int4 import dequantize_int4, quantize_int4
    from model.tokenizer import k25_tokenizer_config, write_tiktoken_model

    ref = make_reference_model(seed, **BENCH_SHAPE)
    n_params = sum(p.numel() for p in ref.parameters())
    tensors = {}
    for name, t in reference_state_dict(ref).items():
        if is_routed_expert(name):
            base = name[: -len(".weight")]
            packed, scale, shape = quantize_int4(t)
            tensors.update({f"{base}.weight_packed": packed, f"{base}.weight_scale": scale,
                            f"{base}.weight_shape": shape})
        else:
            tensors[name] = t.to(torch.float32)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.endswith(("mlp.experts.gate_up_proj", "mlp.experts.down_proj")):
                for e in range(p.shape[0]):
                    p[e].copy_(dequantize_int4(*quantize_int4(p[e]), dtype=torch.float32))
    # a synthetic vocabulary as large as the model's: 256 bytes + distinct filler tokens + 256 specials
    n_ranks = BENCH_SHAPE["vocab_size"] - 256
    ranks = {bytes([i]): i for i in range(256)}
    for i in range(256, n_ranks):
        ranks[f"<t{i}>".encode()] = i
    save_checkpoint(out / "ours", tensors, text_config_dict(ref), num_shards=2, overwrite=True,
                    extra_files={"tokenizer_config.json": json.dumps(k25_tokenizer_config(n_ranks))})
    write_tiktoken_model(out / "ours" / "tiktoken.model", ranks)
    ref.save_pretrained(out / "hf")
    files = sorted((out / "ours").glob("*.safetensors"))
    facts = {"params": n_params, "fp32_bytes": 4 * n_params, "ckpt_bytes": sum(f.stat().st_size for f in files),
             "torch": torch.__version__}
    return facts, ref.eval()


# ---------------------------------------------------------------------------------------- workers

def worker_ours(ckpt: str, prompt: list[int], n_new: int) -> dict:
    import torch

    from model import Tokenizer, build_model, load_model
    from model.generate import SamplingParams, generate_text

    # "after imports" includes the modules the engine imports lazily (building on meta costs no weights)
    build_model(Path(ckpt) / "config.json", device="meta")
    torch.ones(8, 8) @ torch.ones(8, 8)
    rss0, parts0 = _rss_now(), _rss_parts()
    t0 = time.perf_counter()
    model = load_model(ckpt)
    tok = Tokenizer.from_dir(ckpt)
    load_s = time.perf_counter() - t0
    class CpuStamped(torch.nn.Module):
        """The model, noting the process CPU time after each forward (prefill, then one per token)."""

        def __init__(self, inner):
            super().__init__()
            self.inner, self.cpu, self.gaps = inner, [], []

        def make_cache(self, *a):
            return self.inner.make_cache(*a)

        def forward(self, ids, cache=None, logits_to_keep: int = 0, **media):
            out = self.inner(ids, cache=cache, logits_to_keep=logits_to_keep, **media)
            self.cpu.append(time.process_time())
            top2 = out[0, -1].topk(2).values
            self.gaps.append(float(top2[0] - top2[1]))
            return out

    stamped = CpuStamped(model)
    generate_text(stamped, tok, prompt[:16], SamplingParams(max_new_tokens=8, ignore_eos=True))  # warm-up
    stamped.cpu.clear()
    stamped.gaps.clear()
    c0 = time.process_time()
    res = generate_text(stamped, tok, prompt, SamplingParams(max_new_tokens=n_new, ignore_eos=True))
    cpu = stamped.cpu
    return {"gaps": stamped.gaps[:n_new],"prefill_s": res.prefill_s, "decode_s": res.decode_s, "tokens": list(res.token_ids),
            "prefill_cpu_s": cpu[0] - c0, "decode_cpu_s": cpu[-1] - cpu[0],
            "load_s": load_s, "rss_after_imports": rss0, "peak_rss": _peak_rss(),
            "rss_parts_after_imports": parts0, "rss_parts_end": _rss_parts(),
            "expert_mode": getattr(model, "expert_mode", "?")}


def worker_hf(path: str, prompt: list[int], n_new: int) -> dict:
    import torch
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM, LogitsProcessor, LogitsProcessorList

    with torch.device("meta"):  # import what from_pretrained imports lazily, allocate no weights
        DeepseekV3ForCausalLM(DeepseekV3Config.from_pretrained(path))
    torch.ones(8, 8) @ torch.ones(8, 8)
    rss0 = _rss_now()

    class Stamp(LogitsProcessor):
        """Called once per step before the token is chosen: the first call ends the prefill."""

        def __init__(self):
            self.times, self.gaps = [], []

        def __call__(self, input_ids, scores):
            self.times.append((time.perf_counter(), time.process_time()))
            top2 = scores[0].topk(2).values
            self.gaps.append(float(top2[0] - top2[1]))
            return scores

    t0 = time.perf_counter()
    model = DeepseekV3ForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    load_s = time.perf_counter() - t0
    ids = torch.tensor([prompt])
    # an explicit mask: without one, generate() treats every prompt token equal to pad_token_id as padding
    kw = dict(do_sample=False, eos_token_id=None, pad_token_id=0)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        model.generate(ids[:, :16], attention_mask=mask[:, :16], max_new_tokens=8, min_new_tokens=8, **kw)  # warm-up
        stamp = Stamp()
        t0, c0 = time.perf_counter(), time.process_time()
        out = model.generate(ids, attention_mask=mask, max_new_tokens=n_new, min_new_tokens=n_new,
                             logits_processor=LogitsProcessorList([stamp]), **kw)
        t1, c1 = time.perf_counter(), time.process_time()
    (w_first, c_first) = stamp.times[0]
    return {"gaps": stamp.gaps, "prefill_s": w_first - t0, "decode_s": t1 - w_first,
            "prefill_cpu_s": c_first - c0, "decode_cpu_s": c1 - c_first,
            "tokens": out[0, len(prompt):].tolist(), "load_s": load_s,
            "rss_after_imports": rss0, "peak_rss": _peak_rss()}


def run_worker(engine: str, path: Path, prompt: list[int], n_new: int, threads: int) -> dict:
    args = [sys.executable, __file__, "--worker", engine, str(path), "--new", str(n_new),
            "--prompt-ids", ",".join(map(str, prompt))]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error",
           "OMP_NUM_THREADS": str(threads), "UICODE_BENCH_THREADS": str(threads)}
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ report

def read_bandwidth() -> float:
    """Bytes/s of summing a 256 MB fp32 tensor (best of 3) with the process's threads: the rate at which
    weights can stream from DRAM. Measured in every worker right after its run (same load)."""
    import torch

    x = torch.ones(64 * 2**20)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        x.sum()
        best = min(best, time.perf_counter() - t)
    return x.numel() * 4 / best


def active_bytes_per_token(cfg: dict) -> int:
    """fp32 weight bytes one decode step must read: everything but the routed experts not chosen."""
    h, i_moe = cfg["hidden_size"], cfg["moe_intermediate_size"]
    e, k = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    n_moe = cfg["num_hidden_layers"] - cfg["first_k_dense_replace"]
    expert = 3 * h * i_moe
    total = 4 * cfg["params"]
    return total - 4 * n_moe * (e - k) * expert


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompt", type=int, default=256)
    ap.add_argument("--new", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts to run each engine with")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-append", action="store_true", help="print only, do not touch bench/RESULTS.md")
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--prompt-ids", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        import torch

        torch.set_num_threads(int(os.environ["UICODE_BENCH_THREADS"]))
        engine, path = args.worker
        prompt = [int(x) for x in args.prompt_ids.split(",")]
        fn = worker_ours if engine == "ours" else worker_hf
        out = fn(path, prompt, args.new)
        out["bandwidth"] = read_bandwidth()
        print(json.dumps(out))
        return 0

    import random

    import torch
    import transformers

    threads = [int(t) for t in args.threads.split(",")]
    n_new, n_prompt = args.new, args.prompt
    with tempfile.TemporaryDirectory(prefix="uicode-bench-") as tmp:
        tmp = Path(tmp)
        print("writing the benchmark model ...", file=sys.stderr)
        facts, ref = write_bench_model(tmp, args.seed)
        rng = random.Random(args.seed)
        prompt = [rng.randrange(256) for _ in range(n_prompt)]
        best: dict[tuple[str, int], dict] = {}
        added_all: dict[tuple[str, int], list[int]] = {}
        runs_all: dict[tuple[str, int], list[dict]] = {}
        for rep in range(args.repeats):
            for n in threads:
                for engine, path in (("ours", tmp / "ours"), ("hf", tmp / "hf")):
                    r = run_worker(engine, path, prompt, n_new, n)
                    print(f"run {rep + 1} {engine} {n} threads: prefill {r['prefill_s']:.3f} s, decode "
                          f"{r['decode_s']:.3f} s (CPU {r['decode_cpu_s']:.3f} s), peak RSS added "
                          f"{(r['peak_rss'] - r['rss_after_imports']) / 2**20:.0f} MB"
                          + (f" (at the end: anon +{(r['rss_parts_end']['RssAnon'] - r['rss_parts_after_imports']['RssAnon']) / 2**20:.0f}"
                             f" MB, file +{(r['rss_parts_end']['RssFile'] - r['rss_parts_after_imports']['RssFile']) / 2**20:.0f} MB)"
                             if "rss_parts_end" in r else "")
                          + f", bandwidth {r['bandwidth'] / 1e9:.1f} GB/s", file=sys.stderr)
                    added_all.setdefault((engine, n), []).append(r["peak_rss"] - r["rss_after_imports"])
                    runs_all.setdefault((engine, n), []).append(r)
                    if (engine, n) not in best or r["decode_s"] < best[engine, n]["decode_s"]:
                        best[engine, n] = r
    # independent check: transformers' no-cache forward over prompt + each engine's tokens
    agree = {}
    with torch.inference_mode():
        for (engine, n), r in best.items():
            full = torch.tensor([prompt + r["tokens"]])
            want = ref(full).logits[0, n_prompt - 1 : -1].argmax(-1).tolist()
            agree[engine, n] = next((i for i, (a, b) in enumerate(zip(r["tokens"], want)) if a != b), None)
    cfg = {**BENCH_SHAPE, "first_k_dense_replace": ref.config.first_k_dense_replace, "params": facts["params"]}
    active = active_bytes_per_token(cfg)
    mb = 2**20
    rows = [
        "| engine | threads | prefill tok/s | decode tok/s | decode tok/CPU-s | decode floor tok/s | "
        "load s | peak RSS added (MB, all runs) | RSS added / fp32 weights | greedy = no-cache argmax |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for n in threads:
        floor = max(r["bandwidth"] for (e, m), runs in runs_all.items() if m == n for r in runs) / active
        for engine in ("ours", "hf"):
            r = best[engine, n]
            lo, hi = min(added_all[engine, n]), max(added_all[engine, n])
            rng_mb = f"{lo / mb:.0f}" if hi - lo < mb else f"{lo / mb:.0f}–{hi / mb:.0f}"
            rng_x = f"{lo / facts['fp32_bytes']:.2f}x" if hi - lo < mb else \
                f"{lo / facts['fp32_bytes']:.2f}–{hi / facts['fp32_bytes']:.2f}x"
            name = (f"uicode `model.generate` (experts {r.get('expert_mode')})" if engine == "ours"
                    else f"transformers {transformers.__version__} `generate`")
            diverge = agree[engine, n]
            rows.append(
                f"| {name} | {n} | {n_prompt / r['prefill_s']:.0f} | {(n_new - 1) / r['decode_s']:.1f} | "
                f"{(n_new - 1) / r['decode_cpu_s']:.1f} | {floor:.0f} | {r['load_s']:.2f} | {rng_mb} | {rng_x} | "
                + ("all" if diverge is None else f"first {diverge} tokens") + " |")
    ratios = []
    for n in threads:
        o, h = best["ours", n], best["hf", n]
        ratios.append(f"{n} thread(s): prefill {h['prefill_s'] / o['prefill_s']:.2f}x, decode "
                      f"{h['decode_s'] / o['decode_s']:.2f}x (CPU time {h['decode_cpu_s'] / o['decode_cpu_s']:.2f}x)")
    o_best = min((best["ours", n] for n in threads), key=lambda r: r["decode_s"])
    h_best = min((best["hf", n] for n in threads), key=lambda r: r["decode_s"])
    best_ratio = h_best["decode_s"] / o_best["decode_s"]
    mem_runs = sorted(a for n in threads for a in added_all["ours", n])
    mem = mem_runs[len(mem_runs) // 2] / facts["fp32_bytes"]  # median run
    mem_max = mem_runs[-1] / facts["fp32_bytes"]
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## CPU decode: uicode vs transformers (bench/cpu_decode.py)\n\n"
        f"{date}; {cpu_model()}; torch {facts['torch']}; load average at the end {os.getloadavg()[0]:.1f} "
        f"(other processes share this machine).\n"
        f"Model: K2.5 family, {facts['params'] / 1e6:.1f}M parameters ({facts['fp32_bytes'] / mb:.0f} MB in fp32, "
        f"checkpoint {facts['ckpt_bytes'] / mb:.0f} MB with INT4 experts, {active / mb:.0f} MB of fp32 weights read "
        f"per decode step); batch 1, greedy, prompt {n_prompt}, {n_new} new tokens; best of {args.repeats} runs per "
        f"engine and thread count, each in a fresh process. tok/CPU-s divides by the process's CPU time (less "
        f"sensitive to other load). Decode floor: DRAM read rate (summing 256 MB, best over the runs) / weight bytes per step. RSS "
        f"baseline: after imports, including what each engine imports lazily when it builds its model. Greedy check: "
        f"transformers' no-cache forward over prompt + generated tokens, argmax at each position.\n\n"
        + "\n".join(rows) + "\n\n"
        f"Speed-up of uicode over transformers at equal threads: {'; '.join(ratios)}. Best configuration of each: "
        f"{best_ratio:.2f}x decode. Goals: decode >= 3x transformers ({'met' if best_ratio >= 3 else 'missed'}), "
        f"peak RSS added <= 1.3x fp32 weights ({'met' if mem <= 1.3 else 'missed'} by the median run: {mem:.2f}x; "
        f"largest run {mem_max:.2f}x). Columns other than RSS come from each engine's fastest decode run.\n"
    )
    print(section)
    if not args.no_append:
        append_results(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
