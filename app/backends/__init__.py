"""Backends: one streaming interface (`base.py`) over the in-process engine (`local.py`) and remote
OpenAI-compatible endpoints (`openai.py`)."""
