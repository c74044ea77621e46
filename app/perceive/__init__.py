"""Perception: pixels → facts. Text lines with their sizes, weights, colours and list markers
(`app.perceive.text`), the filled and outlined boxes behind them (`app.perceive.boxes`), and buttons'
labels read again one by one (`app.perceive.labels`). Nothing here decides the page's structure
(`app.layout`) or writes code (`app.compose`)."""
