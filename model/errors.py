"""The errors a user can act on, as one small hierarchy.

Every message is one line that names the file, tensor or field at fault, so the CLI, the server and
the GUI can show it as-is (`str(err)`) and exit non-zero without a traceback. Programming errors stay
ordinary exceptions and are not caught by the front ends.
"""


class UicodeError(Exception):
    """Base of every user-facing error; `str(err)` is a complete one-line message."""

    exit_code = 3


class ConfigError(UicodeError):
    """A config.json (or config dict) is missing a field, has an ill-typed one, or is not JSON."""


class CheckpointError(UicodeError):
    """A checkpoint directory is incomplete or inconsistent: missing/truncated shard, bad header,
    unexpected or missing tensor, wrong shape or dtype."""


class TokenizerError(UicodeError):
    """tiktoken.model / tokenizer_config.json missing or malformed."""


class MediaError(UicodeError):
    """An input image or video cannot be used: missing, unreadable, corrupt, not an image,
    a decompression bomb, an empty video."""

    exit_code = 2


class SettingError(UicodeError, ValueError):
    """An environment switch (`UICODE_KERNELS`, `UICODE_AUTOTUNE_PIN`) holds a value that means nothing here."""

    exit_code = 2


class GenerationCancelled(UicodeError):
    """Raised only where a caller asked for cancellation to surface as an exception."""
