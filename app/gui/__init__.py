"""The uicode desktop app (PySide6). Entry point: `main(argv) -> int`, used by `uicode gui [INPUT…]`.

Importing `app.gui` does not import Qt; `main` does. Module map: `app` (start-up, scripted runs), `main_window`
(widgets, actions and signal wiring only), `session` (Generate, follow-up edits, Stop, streamed events, versions),
`intake` (open, paste, drop, capture → the input loader), `saving` (save, copy, autosave and recovery flow),
`prepare` (pure validation and request building), `jobs` (the background jobs), `worker` (the one background-job
pattern), `dialogs` (file dialogs and the in-window message bar), `settings` + `settings_dialog` (one typed
schema), `autosave` (the recovery store's file work), `history` (versions), `inputs` + `media_strip` (payloads,
decoding, video frames, the input strip), `capture` (screen region), `editor` (code pane), `preview` +
`render_lane` (rendered preview and visual score).
"""
from __future__ import annotations

import argparse
import os
import sys

from app.targets.registry import TARGETS

HELP_EPILOG = """\
keys: Ctrl+O open, Ctrl+V paste image, Ctrl+Shift+R capture a screen region, Ctrl+Enter generate,
Esc stop, Ctrl+S save, Ctrl+Shift+C copy code, Alt+Left/Right step through versions.
Settings persist in the per-user config folder (override with UICODE_CONFIG_DIR); the editor autosaves
there and a session that was killed is offered for restore at the next start."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="uicode gui", description="Open the uicode desktop app: drop a mockup or a screen recording, "
        "stream front-end code into the editor and preview it.", epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="image or video files to load at start")
    p.add_argument("--target", choices=TARGETS, help="code to write (saved)")
    p.add_argument("--checkpoint", metavar="DIR", help="use a local K2.5-format checkpoint folder (saved)")
    p.add_argument("--backend", choices=("mini", "checkpoint", "openai"),
                   help="mini = the embedded model, checkpoint = --checkpoint, openai = a remote endpoint (saved)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint URL, with --backend openai (saved)")
    p.add_argument("--model", help="model name at the endpoint (saved)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="where a local model runs (saved)")
    p.add_argument("--config-dir", metavar="DIR", help="settings/autosave folder (default: per-user config)")
    p.add_argument("--generate", action="store_true", help="start generating once the inputs are loaded")
    p.add_argument("--screenshot", metavar="PNG",
                   help="save a screenshot of the window there and quit: after --generate finishes, "
                   "else once the inputs are loaded (scripted runs, tests)")
    p.add_argument("--no-restore", action="store_true", help="do not offer to restore unsaved work at start")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.config_dir:
        os.environ["UICODE_CONFIG_DIR"] = args.config_dir
    from .app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
