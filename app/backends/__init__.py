"""Backends: one streaming interface (`base.py`) over the in-process engine (`local.py`, which also encodes
every prompt for it: a conversion's and a server client's) and remote OpenAI-compatible endpoints (`openai.py`,
with its keys and config file in `config.py`)."""
