"""Perception: pixels → facts. Text lines with their sizes, weights, colours and list markers
(`app.perceive.text`), the filled and outlined boxes behind them (`app.perceive.boxes`), buttons' labels read
again one by one (`app.perceive.labels`), a dialog over a dimmed page (`app.perceive.overlay`), all measuring
pixels against colours one way (`app.perceive.pixels`). Nothing here decides the page's structure
(`app.layout`) or writes code (`app.compose`)."""
