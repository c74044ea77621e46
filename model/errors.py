"""The project's error hierarchy, importable from here as it always was; it lives in `uicode.errors`, which
every package imports (`vision/` and `kernels/` need no part of `model/` for it)."""
from uicode.errors import (  # noqa: F401  (re-exported)
    BackendError, BackendSetupError, CheckpointError, ConfigError, GenerationCancelled, InputError, MediaError,
    OcrError, OutputError, PagesError, PromptTooLong, RenderError, SettingError, TokenizerError, UicodeError,
)
