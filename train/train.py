"""Train the mini model image → HTML, resumably, on CPU (fp32) or CUDA (bf16 autocast), then export it.

    python -m train.train --pack data/train.pack --heldout data/heldout.pack --tokenizer data/tok \
        --run runs/mini --steps 3000 [--size base] [--device cuda] [--minutes 8] [--export assets/mini]

What one run does:
- builds `train.mini.mini_config(tokenizer.vocab_size)` without quantization (dense `nn.Linear` experts) with
  `model.build_model`, so the trained module's `state_dict()` already has K2.5's tensor names;
- batches examples under a token budget (`train.examples.Batcher`), loss on the assistant's tokens only;
- AdamW with warm-up and cosine decay, gradient clipping;
- balances the MoE the K2/DeepSeek-V3 way, without an auxiliary loss: after every step each router's
  `e_score_correction_bias` moves by `--bias-rate` towards under-loaded experts (sign of mean load − load);
- for the last `--qat-frac` of the steps, fake-quantizes the routed experts' weights to INT4 group 32 with a
  straight-through estimator, so the exported INT4 experts lose almost nothing;
- writes `RUN/state.pt` atomically every `--save-every` steps and at the end (model, optimizer, step, RNG),
  and resumes from it; logs `RUN/log.jsonl` (loss, held-out loss, tokens/s, expert-load imbalance);
- with `--portable FILE`, also writes there what a fresh machine needs to go on with the run (bf16 weights, the
  step, the schedule; ~70 MB, small enough to commit): a run whose folder has no `state.pt` resumes from it at
  the same step on the same schedule, AdamW's moments rebuilt over `REWARM_STEPS` steps of re-warm-up;
- `--export DIR` writes the K2.5-layout checkpoint (`train/export.py`) when training ends.

Not here: the corpus, the pack format and prompt encoding (`train/examples.py`), the checkpoint layout
(`train/export.py`, `model/checkpoint.py`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from model.build import build_model
from model.int4 import GROUP_SIZE, compute_scales, quantize_values
from model.moe import MoE, MoEGate
from model.tokenizer import Tokenizer
from train.dense_moe import use_dense_experts
from train.examples import PROMPTS, Batcher, collate, encode_examples, load_pack, normalise_pixels
from train.init import init_from_checkpoint
from train.mini import mini_config, unquantized


class FakeInt4(nn.Module):
    """Weight parametrization: forward sees the INT4 group-32 round trip, backward the identity (STE)."""

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        # the exporter's own scale and rounding rules (model.int4), without the packing round trip
        scale = compute_scales(w, GROUP_SIZE)                                    # [N, K/32] bf16
        expanded = scale.float().repeat_interleave(GROUP_SIZE, dim=-1)[:, :w.shape[1]]
        wq = quantize_values(w, scale, GROUP_SIZE).float() * expanded
        return w + (wq.to(w.dtype) - w).detach()


def enable_qat(model: nn.Module) -> int:
    """Fake-quantize every routed expert projection; returns how many were wrapped."""
    n = 0
    for mod in model.modules():
        if isinstance(mod, MoE):
            for expert in mod.experts:
                for proj in (expert.gate_proj, expert.up_proj, expert.down_proj):
                    if not parametrize.is_parametrized(proj, "weight"):
                        parametrize.register_parametrization(proj, "weight", FakeInt4())
                        n += 1
    return n


def strip_qat(model: nn.Module) -> None:
    """Bake nothing in: remove the parametrizations and keep the latent fp weights (export quantizes them)."""
    for mod in model.modules():
        if parametrize.is_parametrized(mod, "weight"):
            parametrize.remove_parametrizations(mod, "weight", leave_parametrized=False)


class LoadBalancer:
    """Counts expert selections per router during a step, then nudges `e_score_correction_bias`."""

    def __init__(self, model: nn.Module, rate: float):
        self.rate = rate
        self.gates = [m for m in model.modules() if isinstance(m, MoEGate)]
        self.counts = [None] * len(self.gates)
        for i, g in enumerate(self.gates):
            g.register_forward_hook(self._hook(i))

    def _hook(self, i):
        def hook(gate, _inputs, output):
            idx = output[0]
            c = torch.bincount(idx.reshape(-1), minlength=gate.n_experts).float()
            self.counts[i] = c if self.counts[i] is None else self.counts[i] + c
        return hook

    @torch.no_grad()
    def step(self) -> float:
        """Apply the update; returns the worst max/mean load ratio seen this step (1.0 = perfectly even)."""
        worst = 1.0
        for g, c in zip(self.gates, self.counts):
            if c is None or g.e_score_correction_bias is None:
                continue
            mean = c.mean()
            worst = max(worst, float(c.max() / mean.clamp(min=1)))
            g.e_score_correction_bias.add_(self.rate * torch.sign(mean - c).to(g.e_score_correction_bias.device))
        self.counts = [None] * len(self.gates)
        return worst


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def loss_of(model: nn.Module, batch: dict, device: torch.device, autocast: bool) -> tuple[torch.Tensor, int]:
    ids = batch["input_ids"].to(device)
    labels = batch["labels"].to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        pixels = normalise_pixels(batch["pixel_values"].to(device, non_blocking=True))   # uint8 over the bus
        logits = model(ids, pixel_values=pixels, grid_thws=batch["grid_thws"])
    n = int((labels != -100).sum())
    loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels.view(-1), ignore_index=-100,
                           reduction="sum")
    return loss, n


@torch.no_grad()
def heldout_loss(model, encoded, pad_id, device, autocast, max_tokens) -> float:
    model.eval()
    total, count = 0.0, 0
    for idx in Batcher(encoded, max_tokens, seed=0).epoch():
        loss, n = loss_of(model, collate([encoded[i] for i in idx], pad_id, normalise=False), device, autocast)
        total += float(loss)
        count += n
    model.train()
    return total / max(1, count)


def _start_profiler(device: torch.device):
    from torch.profiler import ProfilerActivity, profile

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    prof = profile(activities=acts)
    prof.__enter__()
    prof.t0 = time.time()
    return prof


def _report_profile(prof, device: torch.device, steps: int) -> int:
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.time() - prof.t0
    prof.__exit__(None, None, None)
    key = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=25), file=sys.stderr)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), file=sys.stderr)
    print(f"profiled {steps} steps: {wall / steps:.3f} s/step wall", file=sys.stderr)
    return 0


def _fail(message: str):
    """A bad pack or option: one line on stderr, exit 2 (as argparse does for a bad flag)."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(2)


def _load_pack_or_exit(path):
    try:
        return load_pack(path)
    except (OSError, EOFError, ValueError, KeyError) as exc:
        _fail(f"{path} is not a readable training pack: {exc}")


REWARM_STEPS = 20  # after a resume from a portable state: the learning rate ramps back up while AdamW's moments refill


def portable_state(model: nn.Module, step: int, epoch: int, total_steps: int, fitted: bool, config: dict,
                   in_patch_limit: int | None = None) -> dict:
    """The run's weights in bf16 (fake-quant parametrizations' latent weights included), its position, and the
    patch budget of its packs (what an export of the state must preprocess with)."""
    weights = {k: (v.detach().to("cpu", torch.bfloat16) if v.is_floating_point() else v.detach().cpu())
               for k, v in model.state_dict().items()}
    return {"model": weights, "step": step, "epoch": epoch, "total_steps": total_steps, "fitted": fitted,
            "config": config, "in_patch_limit": in_patch_limit, "portable": True}


def _save(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", required=True, nargs="+", help="training pack(s) (train/examples.py build_pack)")
    ap.add_argument("--heldout", help="held-out pack for the held-out loss")
    ap.add_argument("--tokenizer", required=True, help="directory with tiktoken.model + tokenizer_config.json")
    ap.add_argument("--run", required=True, help="run directory (state.pt, log.jsonl); resumes from it")
    ap.add_argument("--size", default="base", choices=["tiny", "small", "base"])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=None,
                    help="fit the schedule to this much training time (step time measured over steps 10-40) and stop there")
    ap.add_argument("--stop-minutes", type=float, default=None,
                    help="save and stop after this wall time of this call, schedule unchanged (resume later)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--batch-tokens", type=int, default=24000)
    ap.add_argument("--bias-rate", type=float, default=1e-3)
    ap.add_argument("--qat-frac", type=float, default=0.15)
    ap.add_argument("--prompt", choices=PROMPTS, default="ocr",
                    help="what the prompt carries besides the picture: the OCR lines (default), the layout sketch "
                         "(packs built with --sketch), or nothing")
    ap.add_argument("--no-ocr", action="store_const", const="none", dest="prompt", help="the same as --prompt none")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export", help="write the K2.5-layout checkpoint here when done")
    ap.add_argument("--init", help="start from this exported checkpoint, or a run's portable state (.pt), "
                                   "on a new schedule (ignored when resuming a run)")
    ap.add_argument("--portable", type=Path, default=None,
                    help="also save the run here in a small form a fresh machine resumes from (commit it)")
    ap.add_argument("--moe", choices=["dense", "routed"], default=None,
                    help="routed-expert training path: dense (all experts, batched; default on CUDA, "
                         "train/dense_moe.py) or routed (per-expert rows; default on CPU)")
    ap.add_argument("--profile", type=int, default=0, help="profile N steps after 5 warm-up steps, print, exit")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    autocast = device.type == "cuda"
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer.from_dir(args.tokenizer)
    config = mini_config(tok.vocab_size, args.size)
    (run / "config.json").write_text(json.dumps(config, indent=2))

    examples, in_patch_limit = [], None
    for path in args.pack + ([args.heldout] if args.heldout else []):
        if not Path(path).is_file():
            _fail(f"no pack at {path}")
    for path in args.pack:
        part, limit = _load_pack_or_exit(path)
        if in_patch_limit is not None and limit != in_patch_limit:
            _fail(f"{path} was packed for in_patch_limit {limit}, the others for {in_patch_limit}")
        examples, in_patch_limit = examples + part, limit
    t0 = time.time()
    workers = min(16, os.cpu_count() or 1)
    try:
        encoded = encode_examples(examples, tok, in_patch_limit, prompt=args.prompt, workers=workers)
    except ValueError as e:
        _fail(str(e))
    held = []
    if args.heldout:
        held_ex, _ = _load_pack_or_exit(args.heldout)
        try:
            held = encode_examples(held_ex, tok, in_patch_limit, prompt=args.prompt, workers=workers)
        except ValueError as e:
            _fail(str(e))
    lens = sorted(len(e.ids) for e in encoded)
    print(f"encoded {len(encoded)} train / {len(held)} held-out examples in {time.time() - t0:.1f}s; "
          f"tokens median {lens[len(lens) // 2]}, max {lens[-1]}", file=sys.stderr)

    model = build_model(unquantized(config), device=device, dtype=torch.float32)
    if args.init and not (run / "state.pt").is_file() and not (args.portable and args.portable.is_file()):
        try:
            init_from_checkpoint(model, args.init)
        except RuntimeError:  # load_state_dict: names or shapes of another model
            _fail(f"--init {args.init}: its tensors do not fit a --size {args.size} model")
        except (OSError, EOFError, ValueError, KeyError, pickle.UnpicklingError) as e:
            _fail(f"--init {args.init}: {e}")
        print(f"initialised from {args.init}", file=sys.stderr)
    model.to(device)
    model.train()
    if (args.moe or ("dense" if device.type == "cuda" else "routed")) == "dense":
        use_dense_experts(model)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.1f}M parameters on {device}", file=sys.stderr)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and not (p.ndim >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), fused=device.type == "cuda")
    balancer = LoadBalancer(model, args.bias_rate)
    qat_start = int(args.steps * (1 - args.qat_frac))

    step, epoch, resumed, fitted, rewarm_from = 0, 0, False, False, None
    state_path = run / "state.pt"
    if not state_path.is_file() and args.portable and args.portable.is_file():
        state_path = args.portable  # a fresh machine: the committed state, without the optimizer's moments
    if state_path.is_file():
        state = torch.load(state_path, map_location=device, weights_only=False)
        if state["step"] >= qat_start:
            enable_qat(model)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state["model"].items()})
        if state.get("portable"):
            rewarm_from = state["step"]
        else:
            opt.load_state_dict(state["optimizer"])
        step, epoch, resumed = state["step"], state["epoch"], True
        if state.get("fitted"):  # the schedule was fitted to a time budget: keep it
            args.steps = state["total_steps"]
        qat_start = int(args.steps * (1 - args.qat_frac))
        fitted = bool(state.get("fitted"))
        print(f"resumed from {state_path} at step {step}", file=sys.stderr)

    state_path = run / "state.pt"

    def save():
        _save(state_path, {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                           "epoch": epoch, "total_steps": args.steps, "fitted": fitted, "config": config})
        if args.portable:
            args.portable.parent.mkdir(parents=True, exist_ok=True)
            _save(args.portable, portable_state(model, step, epoch, args.steps, fitted, config, in_patch_limit))

    log = (run / "log.jsonl").open("a")
    batcher = Batcher(encoded, args.batch_tokens, seed=args.seed)
    start, tokens_seen, t_last = time.time(), 0, time.time()
    done = False
    while not done:
        batcher.rng.seed(args.seed * 1000 + epoch)
        batches = batcher.epoch()
        skip = step % len(batches) if epoch == step // max(1, len(batches)) else 0
        for idx in batches[skip:]:
            elapsed = time.time() - start
            if (step >= args.steps or (args.minutes and elapsed > args.minutes * 60)
                    or (args.stop_minutes and elapsed > args.stop_minutes * 60)):
                done = True
                break
            if args.minutes and step == 10 and not resumed:
                t10 = time.time()
            if args.minutes and step == 40 and not resumed:
                # fit the schedule (decay, QAT phase) into the time budget from the step time measured over
                # steps 10-40 (the first steps are slower: worker start-up, kernel selection)
                per_step = (time.time() - t10) / 30
                fit = int((args.minutes * 60 * 0.97 - (time.time() - start)) / per_step) + step
                if fit < args.steps:
                    args.steps, fitted = fit, True
                    qat_start = int(args.steps * (1 - args.qat_frac))
                    print(f"{per_step:.3f}s/step: schedule fitted to {args.steps} steps, QAT from {qat_start}",
                          file=sys.stderr)
            if step == qat_start:
                print(f"step {step}: INT4 quantization-aware phase on {enable_qat(model)} expert projections",
                      file=sys.stderr)
            lr = lr_at(step, args.steps, args.lr, args.warmup)
            if rewarm_from is not None:
                lr *= min(1.0, (step - rewarm_from + 1) / REWARM_STEPS)
            for g in opt.param_groups:
                g["lr"] = lr
            if args.profile and step == 5:
                prof = _start_profiler(device)
            if args.profile and step == 5 + args.profile:
                return _report_profile(prof, device, args.profile)
            batch = collate([encoded[i] for i in idx], tok.pad_id, normalise=False)
            loss_sum, n = loss_of(model, batch, device, autocast)
            loss = loss_sum / max(1, n)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
            opt.step()
            imbalance = balancer.step()
            step += 1
            tokens_seen += n
            if step % 20 == 0 or step == 1:
                dt = time.time() - t_last
                t_last = time.time()
                rec = {"step": step, "loss": round(float(loss.detach()), 4), "gnorm": round(gnorm, 3),
                       "lr": opt.param_groups[0]["lr"], "tok_s": round(tokens_seen / max(dt, 1e-9)),
                       "imbalance": round(imbalance, 2), "elapsed_s": round(time.time() - start)}
                tokens_seen = 0
                print(json.dumps(rec), file=sys.stderr, flush=True)
                log.write(json.dumps(rec) + "\n")
                log.flush()
            if held and step % args.eval_every == 0:
                hl = heldout_loss(model, held, tok.pad_id, device, autocast, args.batch_tokens)
                rec = {"step": step, "heldout_loss": round(hl, 4)}
                print(json.dumps(rec), file=sys.stderr, flush=True)
                log.write(json.dumps(rec) + "\n")
                log.flush()
            if step % args.save_every == 0:
                save()
        else:
            epoch += 1
    save()
    if held and step % args.eval_every != 0:  # (the last step's held-out loss is logged already)
        hl = heldout_loss(model, held, tok.pad_id, device, autocast, args.batch_tokens)
        rec = {"step": step, "heldout_loss": round(hl, 4), "final": True}
        print(json.dumps(rec), file=sys.stderr, flush=True)
        log.write(json.dumps(rec) + "\n")
    log.close()
    if args.export:
        from train.export import export_checkpoint

        strip_qat(model)
        export_checkpoint(model.cpu(), config, args.tokenizer, args.export, in_patch_limit=in_patch_limit,
                          prompt=args.prompt)
        print(f"exported to {args.export}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
