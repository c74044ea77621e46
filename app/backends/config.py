"""API keys and the user config file for remote backends; keys are never printed.

Where a key for `--backend openai` comes from, first found wins: the explicit argument (GUI field, library
call), the environment variable `UICODE_API_KEY`, then `OPENAI_API_KEY`, then `api_key` in the config file.
The config file is TOML at `$UICODE_CONFIG`, else `$XDG_CONFIG_HOME/uicode/config.toml` (default
`~/.config/uicode/config.toml`), and may also set `base_url` and `model`:

    base_url = "http://127.0.0.1:8000/v1"
    model = "moonshotai/Kimi-K2.5"
    api_key = "sk-..."

A config file holding a key that other users can read gets a warning (the key still works). `redact`
removes a key from any text before it is shown. The server's own key (`uicode serve --api-key`) may come
from `UICODE_SERVER_API_KEY` instead of the command line, where other local users could see it in `ps`.
"""
from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from uicode.errors import ConfigError

ENV_KEYS = ("UICODE_API_KEY", "OPENAI_API_KEY")
SERVER_KEY_ENV = "UICODE_SERVER_API_KEY"


def config_path() -> Path:
    if os.environ.get("UICODE_CONFIG"):
        return Path(os.environ["UICODE_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "uicode" / "config.toml"


@dataclass(frozen=True)
class RemoteSettings:
    base_url: str | None
    model: str | None
    api_key: str | None
    key_source: str  # "argument", an env var name, the config path, or "none"
    warnings: tuple[str, ...] = ()


def read_config(path: Path | None = None) -> dict:
    """The config file as a dict ({} when absent); a malformed file is a ConfigError naming it."""
    path = path or config_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config file ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    for k in ("base_url", "model", "api_key"):
        if k in data and not isinstance(data[k], str):
            raise ConfigError(f"{path}: {k} must be a string")
    return data


def resolve_remote(base_url: str | None = None, model: str | None = None,
                   api_key: str | None = None) -> RemoteSettings:
    """Fill the remote backend's settings from arguments, environment and the config file, in that order."""
    path = config_path()
    cfg = read_config(path)
    warnings = []
    source = "none"
    key = api_key
    if key:
        source = "argument"
    else:
        for env in ENV_KEYS:
            if os.environ.get(env):
                key, source = os.environ[env], env
                break
        else:
            if cfg.get("api_key"):
                key, source = cfg["api_key"], str(path)
                mode = path.stat().st_mode
                if mode & (stat.S_IRGRP | stat.S_IROTH):
                    warnings.append(f"{path} holds an API key and is readable by other users; run chmod 600 on it")
    return RemoteSettings(base_url or cfg.get("base_url"), model or cfg.get("model"), key, source, tuple(warnings))


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every non-trivial secret replaced by `***`."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text
