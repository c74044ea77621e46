"""Synthetic UI corpus: a seeded grammar of page parts composed into compact, canonical HTML+CSS
pages (`generator.generate_page`), rendered to PNG with DOM text blocks and OCR by `builder`.
CLI: `python -m train.corpus build OUT_DIR --count N --seed S --split train|heldout`."""
from .generator import DEFAULT_MAX_BYTES, VIEWPORTS, Page, generate_page, split_of, split_seeds

__all__ = ["DEFAULT_MAX_BYTES", "VIEWPORTS", "Page", "generate_page", "split_of", "split_seeds"]
