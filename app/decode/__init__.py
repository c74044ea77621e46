"""Decoding: the constraint that keeps the generated HTML's text to the input's OCR lines and its tags nested
while the model writes (`app.decode.grounding`, with the nesting rules of `app.decode.nesting`), and the code
taken out of the model's reply as it streams (thinking, fences and prose removed: `app.decode.extract`)."""
