"""The errors a user can act on, as one hierarchy for every package.

Every message is one line that names the file, tensor, field or endpoint at fault, so the CLI, the server
and the GUI can show it as it is (`str(err)`) and exit non-zero without a traceback. `exit_code` is what the
CLI exits with: 2 for bad usage or input (the user can fix the command), 3 for a failure of the model, the
endpoint or the machine. Programming errors stay ordinary exceptions and are not caught by the front ends.
"""


class UicodeError(Exception):
    """Base of every user-facing error; `str(err)` is a complete one-line message."""

    exit_code = 3


class InputError(UicodeError):
    """Bad usage or input: the user can fix it and run again (exit code 2; HTTP 400 from the server)."""

    exit_code = 2


# ---- the model's files
class ConfigError(UicodeError):
    """A config.json (or config dict, or the user's config file) is missing a field, has an ill-typed one, or
    is not valid."""


class CheckpointError(UicodeError):
    """A checkpoint directory is incomplete or inconsistent: missing/truncated shard, bad header,
    unexpected or missing tensor, wrong shape or dtype."""


class TokenizerError(UicodeError):
    """tiktoken.model / tokenizer_config.json missing or malformed."""


# ---- the user's inputs and settings
class MediaError(InputError):
    """An input image or video cannot be used: missing, unreadable, corrupt (a PNG whose checksums fail),
    not an image, a decompression bomb, an empty video."""


class SettingError(InputError, ValueError):
    """An environment switch (`UICODE_KERNELS`, `UICODE_AUTOTUNE_PIN`) holds a value that means nothing here."""


class OutputError(InputError):
    """An output path cannot be written."""


class PagesError(InputError, ValueError):
    """A folder of pages to evaluate, or an earlier run's output, that cannot be scored."""


# ---- running the model
class BackendError(UicodeError):
    """The model or endpoint failed: not loadable, unreachable, refused the request."""


class BackendSetupError(BackendError):
    """The backend was set up wrongly by the user: no checkpoint where pointed, no endpoint URL (exit code 2:
    bad usage or input, not a model failure)."""

    exit_code = 2


class PromptTooLong(BackendError):
    """The prompt plus the tokens asked for do not fit the model's context (exit code 2: ask for fewer)."""

    exit_code = 2


class GenerationCancelled(UicodeError):
    """Raised only where a caller asked for cancellation to surface as an exception."""


# ---- tools around the model
class OcrError(UicodeError):
    """Tesseract is missing or failed on an image."""


class RenderError(UicodeError):
    """Headless Chromium is missing, failed to start, or failed on a page."""
