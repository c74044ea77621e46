"""One typed settings schema for the desktop app, its storage, and where secrets go.

`SCHEMA` declares every persisted setting once (key, default, type, label, tooltip, group, choices); the same
declarations drive `Settings` (typed get/set over an INI-format `QSettings` file) and the settings dialog
(`settings_dialog.py`). Values read back are converted to the declared type, and an ill-typed or out-of-choice
value in the file falls back to the default instead of failing the app.

Where the file lives: `UICODE_CONFIG_DIR` (used by tests and the dev setup) or Qt's per-user
`AppConfigLocation`; Qt already knows the per-platform rules, so no `platformdirs` dependency is needed.
Autosave/recovery files live in a `recovery/` folder beside it (`autosave.py`).

The API key of a remote backend never goes into the settings file when the `keyring` package is installed and
finds an OS keyring; otherwise it is kept in the settings file (made owner-readable only) and
`api_key_storage()` reports "plaintext" so the window shows a clear warning.
"""
from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths

from app.targets.registry import TARGETS

KEYRING_SERVICE = "uicode"
KEYRING_USER = "openai-api-key"


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    type: type
    label: str
    tooltip: str
    group: str
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None


BACKENDS = ("mini", "checkpoint", "openai")
BACKEND_LABELS = {"mini": "Embedded mini model", "checkpoint": "Local checkpoint folder",
                  "openai": "OpenAI-compatible endpoint"}

SCHEMA: tuple[Setting, ...] = (
    # generation
    Setting("target", "html", str, "Target", "What kind of code to write.", "Generation", TARGETS),
    Setting("max_new_tokens", 2048, int, "Max new tokens", "Upper bound on generated tokens.", "Generation",
            minimum=1, maximum=32768),
    Setting("temperature", 0.0, float, "Temperature", "0 = greedy (deterministic).", "Generation",
            minimum=0.0, maximum=2.0),
    Setting("top_p", 1.0, float, "Top-p", "Nucleus sampling mass.", "Generation", minimum=0.0, maximum=1.0),
    Setting("seed", 0, int, "Seed", "Sampling seed (with temperature > 0).", "Generation",
            minimum=0, maximum=2**31 - 1),
    Setting("best_of", 1, int, "Candidates",
            "Sample this many pages side by side, render each and keep the one closest to the input. 3 scores "
            "higher with the mini model (28 held-out pages: mean 0.75 → 0.78) and takes about twice as long.", "Generation",
            minimum=1, maximum=16),
    Setting("ground_text", True, bool, "Copy text from the mockup",
            "The embedded model copies the text that OCR reads in the mockup instead of writing its own words. "
            "Turn off to let it write any text.", "Generation"),
    Setting("split", False, bool, "Long pages band by band",
            "Convert a long page in horizontal bands, each with few enough lines for the embedded model to "
            "finish, and join them: closer to the mockup on pages with many lines, up to about twice the time.",
            "Generation"),
    Setting("engine", True, bool, "Write the page with the layout engine",
            "The layout engine reads the mockup's structure (text blocks, boxes, rows, columns, grids, header, "
            "footer) and writes flow-layout code; the model's regions are kept where they render closer to the "
            "mockup. Turn off to get the model's page as it wrote it.",
            "Generation"),
    # backend
    Setting("backend", "mini", str, "Backend", "Which model produces the code.", "Backend", BACKENDS),
    Setting("checkpoint_dir", "", str, "Checkpoint folder",
            "A K2.5-format checkpoint directory (config.json + safetensors shards).", "Backend"),
    Setting("device", "cpu", str, "Device", "Where a local model runs.", "Backend", ("cpu", "cuda")),
    Setting("cpu_threads", 0, int, "CPU threads",
            "Threads for a local model on CPU; 0 = all cores but one, so the window stays responsive.",
            "Backend", minimum=0, maximum=1024),
    Setting("base_url", "http://127.0.0.1:8000/v1", str, "Endpoint URL",
            "Base URL of an OpenAI-compatible server (vLLM, SGLang, `uicode serve`).", "Backend"),
    Setting("remote_model", "", str, "Endpoint model", "Model name the endpoint serves.", "Backend"),
    # input
    Setting("video_mode", "sampled", str, "Video frames",
            "sampled: 2 frames/s like K2.5; keyframes: frames where the screen changes.", "Input",
            ("sampled", "keyframes")),
    # editor & preview
    Setting("autosave_ms", 1500, int, "Autosave delay (ms)", "Editor changes are autosaved after this pause.",
            "Editor", minimum=200, maximum=60000),
    Setting("preview_debounce_ms", 700, int, "Preview delay (ms)",
            "The preview re-renders this long after the code last changed.", "Editor", minimum=100, maximum=10000),
    Setting("live_preview", True, bool, "Live preview", "Render the page while code streams in.", "Editor"),
    Setting("last_dir", "", str, "Last folder", "Folder of the last Open/Save dialog.", "Internal"),
)
BY_KEY = {s.key: s for s in SCHEMA}


def config_dir() -> pathlib.Path:
    override = os.environ.get("UICODE_CONFIG_DIR")
    if override:
        path = pathlib.Path(override)
    else:
        path = pathlib.Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation))
        if path.name != "uicode":
            path = path / "uicode"
    path.mkdir(parents=True, exist_ok=True)
    return path


def coerce(setting: Setting, raw: Any) -> Any:
    """Convert a stored value (INI files give strings) to the declared type; the default if impossible."""
    if raw is None:
        return setting.default
    try:
        if setting.type is bool:
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in ("1", "true", "yes", "on"):
                value = True
            elif str(raw).strip().lower() in ("0", "false", "no", "off"):
                value = False
            else:
                return setting.default
        elif setting.type is int:
            value = int(float(raw)) if not isinstance(raw, bool) else setting.default
        elif setting.type is float:
            value = float(raw)
        else:
            value = setting.type(raw)
    except (TypeError, ValueError):
        return setting.default
    if setting.choices and value not in setting.choices:
        return setting.default
    if setting.minimum is not None and value < setting.minimum:
        return setting.default
    if setting.maximum is not None and value > setting.maximum:
        return setting.default
    return value


class Settings:
    """Typed access to the persisted settings; every key must be declared in `SCHEMA`."""

    def __init__(self, directory: pathlib.Path | None = None):
        self.directory = pathlib.Path(directory) if directory else config_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "settings.ini"
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        setting = BY_KEY[key]
        return coerce(setting, self.qsettings.value(key, None))

    def set(self, key: str, value: Any) -> None:
        setting = BY_KEY[key]
        value = coerce(setting, value)
        self.qsettings.setValue(key, value)

    def values(self) -> dict[str, Any]:
        return {s.key: self.get(s.key) for s in SCHEMA}

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.set(key, value)
        self.sync()

    # window state is opaque bytes owned by Qt, kept out of the typed schema on purpose
    def window_state(self) -> tuple[Any, Any]:
        return self.qsettings.value("window/geometry"), self.qsettings.value("window/state")

    def set_window_state(self, geometry, state) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def sync(self) -> None:
        self.qsettings.sync()

    # ---- the API key -------------------------------------------------------------------------------------------
    def api_key_storage(self) -> str:
        """'keyring' when an OS keyring is usable, else 'plaintext' (the window warns about it)."""
        return "keyring" if _usable_keyring() is not None else "plaintext"

    def api_key(self) -> str:
        kr = _usable_keyring()
        if kr is not None:
            try:
                return kr.get_password(KEYRING_SERVICE, KEYRING_USER) or ""
            except Exception:  # noqa: BLE001 -- a locked or broken keyring must not break the app
                return ""
        return str(self.qsettings.value("secrets/api_key", "") or "")

    def set_api_key(self, key: str) -> str:
        """Store the key; returns where it went ('keyring' or 'plaintext')."""
        kr = _usable_keyring()
        if kr is not None:
            try:
                if key:
                    kr.set_password(KEYRING_SERVICE, KEYRING_USER, key)
                else:
                    kr.delete_password(KEYRING_SERVICE, KEYRING_USER)
                self.qsettings.remove("secrets/api_key")
                return "keyring"
            except Exception:  # noqa: BLE001 -- fall through to the warned plain-text store
                pass
        if key:
            self.qsettings.setValue("secrets/api_key", key)
        else:
            self.qsettings.remove("secrets/api_key")
        self.qsettings.sync()
        try:
            os.chmod(self.path, 0o600)
        except OSError:
            pass
        return "plaintext"


def _usable_keyring():
    """The `keyring` module when it is installed and its backend is a real one, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 -- optional dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001
        return None
    # `fail.Keyring` (priority 0) is what keyring falls back to when no OS keyring is reachable.
    if isinstance(backend, fail.Keyring) or (getattr(backend, "priority", 1) or 0) <= 0:
        return None
    return keyring
