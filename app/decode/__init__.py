"""Decoding: the constraint that keeps the generated HTML's text to the input's OCR lines while the model
writes (`app.decode.grounding`), and the code taken out of the model's reply as it streams (thinking, fences
and prose removed: `app.decode.extract`)."""
