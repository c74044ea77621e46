"""Scoring beside the data path: measures of a converted page that the conversion itself never reads, used by
`uicode eval` to judge the pages it hands over (`app.scoring.quality`: absolutely positioned text, overlapping
text, sideways scrolling on a phone, fidelity re-measured at narrower widths). Nothing in `app.pipeline` imports
this package."""
