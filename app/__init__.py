"""uicode's application: a screenshot, mockup or screen recording in, front-end code out.

The data path, one package a stage: `media` loads and checks the inputs (and cuts long pages into bands) →
`perceive` reads the picture (OCR lines, boxes, controls) → `layout` infers the layout tree → `prompt` plans
what to ask the model, with the tree's sketch or the OCR lines → `backends` run the model (in process, or an
OpenAI-compatible endpoint) → `decode` keeps its text to the OCR and takes the code out of its reply →
`compose` writes the page from the tree and keeps the model's regions where they are closer to the picture →
`targets` turns the HTML into Tailwind, React or Vue. `pipeline` runs that path for every front end: the CLI
(`cli`), the server (`serve`) and the desktop app (`gui`). `events` holds what the pipeline reports. Beside the
path: `scoring` (headless rendering, fidelity and code-quality measures, the evaluation harness; the path borrows
its renderer and visual score to compare regions and best-of candidates) and `markup` (HTML and CSS as data,
shared by the stages that read or rewrite code).
"""
