"""The `uicode` command: convert, serve, gui, quantize, eval.

    uicode convert INPUT… [-o OUT] [--target html|tailwind|react|vue] [--backend local|openai] …
    uicode serve [--host 127.0.0.1] [--port 8000] [--checkpoint DIR] [--api-key KEY] …
    uicode gui [INPUT…]          (the desktop app; Qt is imported only here)
    uicode quantize SRC DST      (model.quantize.main)
    uicode eval …                (app.scoring.evaluate.main, when the training package provides it)

Exit codes: 0 success; 2 bad usage or bad input (missing/corrupt file, unwritable output, bad flag);
3 model or backend failure (checkpoint, endpoint unreachable or refusing, rendering); 130 interrupted.
User errors are one line `uicode: <message>` on stderr, never a traceback: every `model.errors.UicodeError`
is caught here and mapped to its `exit_code`.

`convert` streams code to stdout when no `-o` is given and stdout is a terminal (piped output gets the final
code once, so files never hold a partial stream); progress goes to stderr (`--quiet` silences it);
`--json` prints one JSON object per request instead. Several files form one request (screenshots of one UI);
a directory is a batch of one request per image or video in it, and a batch carries on past a bad file,
reporting it, and exits 2 at the end if any failed. Output files are written atomically (temp file + rename).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from app.targets.registry import REGISTRY
from uicode.errors import MediaError, OutputError, UicodeError

EXIT_OK, EXIT_USAGE, EXIT_BACKEND, EXIT_INTERRUPTED = 0, 2, 3, 130


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temp file in the same directory and a rename (no partial files)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name")
    if not directory.is_dir():
        raise OutputError(f"{path}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output file gets the user's usual mode
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if not text.endswith("\n"):
                f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None


# ------------------------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    from app.targets.registry import TARGETS

    p = argparse.ArgumentParser(
        prog="uicode", description="Turn UI screenshots, mockups and screen recordings into front-end code, "
        "offline, with a Kimi K2.5-architecture vision-language model.",
        epilog="Exit codes: 0 ok, 2 bad usage or input, 3 model or backend failure, 130 interrupted.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("convert", help="convert images/videos to code",
                       description="Convert images or videos to code. Several files form one request; a "
                       "directory is a batch (one request per file in it).",
                       epilog="Exit codes: 0 ok, 2 bad usage or input (a batch exits 2 if any file failed), "
                       "3 model or backend failure. API keys for --backend openai come from UICODE_API_KEY, "
                       "OPENAI_API_KEY or api_key in ~/.config/uicode/config.toml, and are never printed.")
    c.add_argument("inputs", nargs="+", metavar="INPUT", help="image (png, jpg, webp, gif, bmp, tiff), video "
                   "(mp4, mov, webm, mkv, avi) or directory")
    c.add_argument("-o", "--output", metavar="OUT", help="output file, or directory for a batch "
                   "(default: code on stdout)")
    c.add_argument("--target", choices=TARGETS, default="html", help="code to produce (default: html)")
    c.add_argument("--backend", choices=("local", "openai"), default="local",
                   help="local: the in-process engine; openai: an OpenAI-compatible endpoint (default: local)")
    c.add_argument("--checkpoint", metavar="DIR", help="K2.5-format checkpoint for --backend local "
                   "(default: the embedded mini model in assets/mini)")
    c.add_argument("--device", default="cpu", help="torch device for --backend local (default: cpu)")
    c.add_argument("--base-url", metavar="URL", help="endpoint for --backend openai, e.g. http://127.0.0.1:8000/v1")
    c.add_argument("--model", metavar="NAME", help="model name for --backend openai (default: the endpoint's first)")
    c.add_argument("--instruction", metavar="TEXT", help="extra instruction for the model")
    c.add_argument("--best-of", type=int, default=1, metavar="N", help="sample N candidates side by side, render "
                   "and score each against the input, keep the best (default: 1; 3 scores clearly higher with "
                   "the embedded model and takes about twice as long)")
    c.add_argument("--score", action="store_true", help="render and score the result even with --best-of 1")
    c.add_argument("--free-text", action="store_true", help="let the model write any text; by default the "
                   "embedded model's text is copied from what OCR reads in the input")
    c.add_argument("--bands", action="store_true", help="convert a long page band by band and join the bands "
                   "(the embedded model: higher fidelity on pages with many lines, about twice the time on a page of three bands)")
    c.add_argument("--model-only", "--no-complete", dest="model_only", action="store_true",
                   help="hand over the model's page as it wrote it; by default the layout engine writes the page "
                   "(flow layout read from the input) and the model's regions are kept where they render closer")
    c.add_argument("--max-new-tokens", type=int, default=2048, metavar="N", help="generation limit (default: 2048)")
    c.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default: 0; --best-of uses 0.6 "
                   "when 0)")
    c.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling (default: 0.95)")
    c.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    c.add_argument("--each", action="store_true", help="convert each input file separately")
    c.add_argument("--json", action="store_true", help="print one JSON object per request (code, scores, timings)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    s = sub.add_parser("serve", help="OpenAI-compatible HTTP server over the local engine",
                       description="Serve the local engine as an OpenAI-compatible API: POST "
                       "/v1/chat/completions (stream or not, image_url data URLs), GET /v1/models, GET /health.",
                       epilog="Binding an address other than loopback requires an API key. The key may also "
                       "come from UICODE_SERVER_API_KEY (keeps it out of `ps`).")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    s.add_argument("--checkpoint", metavar="DIR", help="checkpoint (default: the embedded mini model)")
    s.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    s.add_argument("--api-key", metavar="KEY", help="require 'Authorization: Bearer KEY' on /v1 requests")
    s.add_argument("--max-queue", type=int, default=8, help="requests admitted at once, running + waiting; "
                   "more get 429 (default: 8)")
    s.add_argument("--max-body-mb", type=float, default=32.0, help="largest request body in MiB (default: 32)")
    s.add_argument("--max-images", type=int, default=8, help="images per request (default: 8)")
    s.add_argument("--max-pixels", type=int, default=4096 * 4096, help="pixels per image (default: 16777216)")
    s.add_argument("--max-tokens", type=int, default=4096, help="cap on a request's max_tokens (default: 4096)")
    s.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))

    g = sub.add_parser("gui", help="the desktop app", add_help=False,
                       description="Open the desktop app (options: uicode gui --help).")
    g.add_argument("rest", nargs=argparse.REMAINDER)
    q = sub.add_parser("quantize", help="write an INT4 copy of a checkpoint (uicode quantize SRC DST)",
                       add_help=False)
    q.add_argument("rest", nargs=argparse.REMAINDER)
    e = sub.add_parser("eval", help="fidelity evaluation on held-out pages", add_help=False)
    e.add_argument("rest", nargs=argparse.REMAINDER)
    return p


# ----------------------------------------------------------------------------------------------- convert
class _Progress:
    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.live = False
        self._last_draw = 0.0

    def line(self, msg: str) -> None:
        if self.quiet:
            return
        self.clear()
        print(f"uicode: {msg}", file=sys.stderr, flush=True)

    def speed(self, n_chars: int, tps: float) -> None:
        if self.quiet or not self.tty:
            return
        sys.stderr.write(f"\r  {n_chars} chars, {tps:.1f} tokens/s ")
        sys.stderr.flush()
        self.live = True

    def loading(self, done: int, total: int) -> None:
        """Checkpoint loading progress (bytes), as a live percentage on a terminal."""
        if self.quiet or not self.tty or total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last_draw < 0.2:  # a redraw per tensor would flood the terminal
            return
        self._last_draw = now
        sys.stderr.write(f"\r  loading {100 * done / total:5.1f}% of {total / 2**20:.0f} MiB ")
        sys.stderr.flush()
        self.live = True

    def clear(self) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
            self.live = False


def _output_path(out: str | None, stem: str, target: str, n_batches: int) -> Path | None:
    if out is None:
        return None
    p = Path(out)
    if n_batches > 1 or out.endswith(("/", os.sep)) or p.is_dir():
        if not p.exists():
            try:
                p.mkdir(parents=True)
            except OSError as e:
                raise OutputError(f"{p}: cannot create output directory ({e.strerror or e})") from None
        return p / f"{stem}{REGISTRY[target].extension}"
    return p


def cmd_convert(args) -> int:
    from app.media.inputs import check_input, plan_batches

    if args.best_of < 1 or args.max_new_tokens < 1:
        raise _Usage("--best-of and --max-new-tokens must be at least 1")
    batches = plan_batches(args.inputs, each=args.each)
    if args.output is None and len(batches) > 1 and not args.json:
        raise _Usage("a batch needs -o DIR (or --json)")
    # Every input is checked before a model is loaded for nothing: one bad request fails alone, and when no
    # request is left the run ends here (`check_input` needs Pillow only, not torch).
    good, failed, total = [], 0, len(batches)
    for batch in batches:
        try:
            for path in batch.inputs:
                check_input(path)
            good.append(batch)
        except MediaError as e:
            if len(batches) == 1:
                raise
            print(f"uicode: {e}", file=sys.stderr)
            failed += 1
    if not good:
        print(f"uicode: {failed} of {total} request(s) failed", file=sys.stderr)
        return EXIT_USAGE
    batches = good

    from app.events import CodeDelta, Finished, Status
    from app.pipeline import ConvertRequest, Pipeline, make_backend

    progress = _Progress(args.quiet)
    backend = make_backend(args.backend, checkpoint=args.checkpoint, device=args.device,
                           base_url=args.base_url, model=args.model)
    for w in getattr(backend, "warnings", ()):
        progress.line(f"warning: {w}")
    # The model loads in the first conversion, while the layout engine reads its page (`Pipeline.stream`).
    progress.line(f"loading {backend.describe()}")
    pipeline = Pipeline(backend, on_load=progress.loading)
    # Code streams to a terminal only when the model writes the target itself and its page is what is handed
    # over (--model-only): a transformed target and a composed page exist only at the end, and a pipe or file
    # must never hold a partial stream.
    stream_stdout = (args.output is None and not args.json and sys.stdout.isatty()
                     and args.target in backend.native_targets and args.model_only)
    for batch in batches:
        out_path = _output_path(args.output, batch.stem, args.target, total)
        if out_path is not None and not (out_path.parent.is_dir() and os.access(out_path.parent, os.W_OK)):
            # Checked before generating so a long conversion is not lost to a typo in -o.
            raise OutputError(f"{out_path}: cannot write (directory {out_path.parent} does not exist or is "
                              "not writable)")
        try:
            request = ConvertRequest(media=batch.inputs, target=args.target, instruction=args.instruction,
                                     max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                                     top_p=args.top_p, seed=args.seed, best_of=args.best_of, score=args.score,
                                     ground_text=not args.free_text, split=args.bands,
                                     engine=not args.model_only)
        except ValueError as e:
            raise _Usage(str(e)) from None
        cancel = threading.Event()
        shown, result = "", None
        try:
            for ev in pipeline.stream(request, cancel):
                if isinstance(ev, Status):
                    if ev.stage not in ("media", "done", "load") or ev.fraction == 0.0:
                        progress.line(ev.message)
                elif isinstance(ev, CodeDelta):
                    shown += ev.text
                    progress.speed(len(shown), ev.tokens_per_s)
                    if stream_stdout and request.best_of == 1:
                        sys.stdout.write(ev.text)
                        sys.stdout.flush()
                elif isinstance(ev, Finished):
                    result = ev.result
        except KeyboardInterrupt:
            cancel.set()
            progress.clear()
            if out_path is not None and shown:
                # Nothing is lost: what was streamed so far is kept (the model's code, possibly unfinished).
                write_atomic(out_path.with_name(out_path.name + ".partial"), shown)
                print(f"uicode: interrupted; partial code kept in {out_path}.partial", file=sys.stderr)
            else:
                print("uicode: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except MediaError as e:
            # A bad input fails its own request only; the batch goes on.
            progress.clear()
            print(f"uicode: {e}", file=sys.stderr)
            failed += 1
            continue
        progress.clear()
        if out_path is not None:
            write_atomic(out_path, result.code)
        if args.json:
            print(json.dumps({
                "inputs": list(batch.inputs), "output": str(out_path) if out_path else None,
                "target": result.target, "path": result.path, "code": result.code,
                "prompt_tokens": result.prompt_tokens, "new_tokens": result.new_tokens,
                "seconds": round(result.seconds, 3), "tokens_per_s": round(result.tokens_per_s, 2),
                "finish_reason": result.finish_reason, "score": result.score,
                "candidate_scores": list(result.candidate_scores),
                "model_share": round(result.model_share, 4), "sketch": result.sketch}, ensure_ascii=False), flush=True)
        elif out_path is None:
            if stream_stdout and request.best_of == 1 and result.code.startswith(shown):
                sys.stdout.write(result.code[len(shown):] + "\n")
            else:
                if shown and stream_stdout:
                    sys.stdout.write("\n")
                sys.stdout.write(result.code + "\n")
            sys.stdout.flush()
        how = "from the model's HTML" if result.path != "model" else "by the model"
        if result.model_share < 1.0:
            how = (f"by the layout engine and the model ({100 * result.model_share:.0f}% of its text the model's)"
                   if result.model_share > 0 else "by the layout engine (none of the model's regions was closer)")
        score = f", score {result.score:.3f}" if result.score is not None else ""
        progress.line(f"{out_path or 'stdout'}: {result.target} {how}, {result.new_tokens} tokens in "
                      f"{result.seconds:.1f} s ({result.tokens_per_s:.1f} tokens/s, {result.finish_reason}){score}")
    if failed:
        progress.line(f"{failed} of {total} request(s) failed")
        return EXIT_USAGE
    return EXIT_OK


class _Usage(UicodeError):
    exit_code = EXIT_USAGE


# ------------------------------------------------------------------------------------------------- serve
def cmd_serve(args) -> int:
    from app.backends.config import SERVER_KEY_ENV
    from app.pipeline import Pipeline, make_backend
    from app.serve.http import check_bind, serve
    from app.serve.requests import Limits

    api_key = args.api_key or os.environ.get(SERVER_KEY_ENV) or None
    try:
        check_bind(args.host, api_key)
    except UicodeError as e:
        raise _Usage(str(e)) from None
    for name in ("max_queue", "max_images", "max_pixels", "max_tokens"):
        if getattr(args, name) < 1:
            raise _Usage(f"--{name.replace('_', '-')} must be at least 1")
    limits = Limits(max_body_bytes=int(args.max_body_mb * 1024 * 1024), max_images=args.max_images,
                    max_pixels=args.max_pixels, max_tokens=args.max_tokens,
                    default_max_tokens=min(1024, args.max_tokens), max_queue=args.max_queue)
    backend = make_backend("local", checkpoint=args.checkpoint, device=args.device)
    print(f"uicode: loading {backend.describe()}", file=sys.stderr, flush=True)
    backend.load()
    print(f"uicode: serving on http://{args.host}:{args.port}/v1" + (" (API key required)" if api_key else ""),
          file=sys.stderr, flush=True)
    serve(Pipeline(backend), args.host, args.port, api_key=api_key, limits=limits, log_level=args.log_level)
    return EXIT_OK


# ------------------------------------------------------------------------------------- delegated commands
def _delegate(module: str, what: str, argv: list[str]) -> int:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise UicodeError(f"{what} is not available in this installation ({module} is missing)") from None
        raise
    entry = getattr(mod, "main", None)
    if entry is None:
        raise UicodeError(f"{what} is not available in this installation ({module}.main is missing)")
    return int(entry(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in ("gui", "quantize", "eval"):
        # argparse.REMAINDER cannot take a leading option (`gui --help`, `gui --checkpoint D x.png`): pass through.
        args = argparse.Namespace(command=argv[0], rest=argv[1:])
    else:
        args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "convert":
            return cmd_convert(args)
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "gui":
            return _delegate("app.gui", "the desktop app", args.rest)
        if args.command == "quantize":
            return _delegate("model.quantize", "uicode quantize", args.rest)
        if args.command == "eval":
            return _delegate("app.scoring.evaluate", "uicode eval", args.rest)
    except UicodeError as e:
        print(f"uicode: {' '.join(str(e).split())}", file=sys.stderr)
        return int(getattr(e, "exit_code", EXIT_BACKEND))
    except KeyboardInterrupt:
        print("uicode: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
