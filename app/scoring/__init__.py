"""Scoring beside the data path: headless Chromium rendering (`app.scoring.render`), Design2Code's fidelity
measures (`fidelity`, `blockmatch`, `colour`), the code-quality measures of a handed-over page (`quality`:
absolutely positioned text, overlapping text, sideways scrolling on a phone, fidelity at narrower widths) and
the evaluation harness behind `uicode eval` (`evaluate`). The conversion borrows the renderer and the visual
score (comparing the model's regions with the engine's, ranking best-of candidates); nothing here imports the
stages of the path except `evaluate`, which runs the pipeline as `uicode convert` does.
"""
