"""The K2.5 decoder, its checkpoint format, tokenizer and generation loop.

Public names are resolved lazily so that `import model` stays cheap and a module's import
errors surface only when that name is used.
"""
import importlib

_EXPORTS = {
    "load_config": "model.config",
    "build_model": "model.build",
    "load_model": "model.loading",
    "Tokenizer": "model.tokenizer",
    "generate": "model.generate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
