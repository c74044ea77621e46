"""The pure `prepare` steps of the window's actions: validate settings and inputs, build the request, name and
describe the backend, word the error. No widgets and no threads here (STYLE rule 13), so they are tested without
qtbot. (`patch_limit` reads one small JSON file of a local checkpoint; nothing else touches the disk.)
"""
from __future__ import annotations

import pathlib

from uicode.errors import BackendError, UicodeError


def describe_error(exc: BaseException) -> str:
    """One line for the user: our errors as-is, others with their type (never a traceback)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, UicodeError):
        return text or type(exc).__name__
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return f"backend unreachable: {text or type(exc).__name__}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def backend_key(values: dict, api_key: str) -> tuple:
    kind = values["backend"]
    if kind == "openai":
        return ("openai", values["base_url"], values["remote_model"], hash(api_key))
    return ("local", values["checkpoint_dir"] if kind == "checkpoint" else "", values["device"])


def describe_backend(values: dict) -> tuple[str, str]:
    """(model, device) as the status bar names them, from the backend settings."""
    kind = values["backend"]
    if kind == "openai":
        return f"{values['remote_model'] or 'default'} @ {values['base_url']}", "remote"
    model = "embedded mini" if kind == "mini" else pathlib.Path(values["checkpoint_dir"] or "?").name
    return model, values["device"]


def patch_limit(kind: str, values: dict) -> int | None:
    """The image patch budget of a local checkpoint (its preprocessor_config.json), for the token estimate;
    None (K2.5's default) for remote backends or when it cannot be read."""
    from app.backends.local import DEFAULT_CHECKPOINT, read_patch_limits

    if kind == "openai":
        return None
    path = DEFAULT_CHECKPOINT if kind == "mini" else pathlib.Path(values.get("checkpoint_dir") or "")
    try:
        return read_patch_limits(path)[0] if path.is_dir() else None
    except BackendError:
        return None


def default_backend_factory(values: dict, api_key: str):
    from app.pipeline import make_backend

    kind = values["backend"]
    if kind == "openai":
        return make_backend(kind="openai", base_url=values["base_url"], model=values["remote_model"] or None,
                            api_key=api_key or None)
    checkpoint = values["checkpoint_dir"] if kind == "checkpoint" else None
    if kind == "checkpoint" and not checkpoint:
        raise UicodeError("choose a checkpoint folder first (Backend → Checkpoint folder…)")
    return make_backend(kind="local", checkpoint=checkpoint, device=values["device"])


def build_request(items, values: dict, instruction: str | None = None, previous_code: str | None = None):
    """The pure prepare step of Generate and of a follow-up edit. Raises UicodeError with what to do."""
    from app.pipeline import ConvertRequest

    media = tuple(it.image for it in items if it.keep)
    if instruction is not None:
        instruction = instruction.strip()
        if not instruction:
            raise UicodeError("type an instruction for the edit first (e.g. \"make the header dark\")")
        if not (previous_code or "").strip():
            raise UicodeError("there is no code to edit yet: Generate first")
    elif not media:
        raise UicodeError("add a mockup first: drop, paste (Ctrl+V), open or capture an image"
                          if not items else "every input is unchecked: keep at least one image or frame")
    return ConvertRequest(media=media, target=values["target"], instruction=instruction,
                          previous_code=previous_code if instruction is not None else None,
                          max_new_tokens=values["max_new_tokens"], temperature=values["temperature"],
                          top_p=values["top_p"], seed=values["seed"], best_of=values["best_of"],
                          ground_text=values["ground_text"], split=values["split"],
                          engine=values["engine"])
