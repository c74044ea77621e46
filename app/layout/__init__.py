"""Layout inference: facts → the layout tree (`app.layout.tree`): XY-cut into rows and columns
(`app.layout.infer`), regrouped by alignment and repetition into grids, tables, lists and fields
(`app.layout.groups`), its parts named header, nav, main, aside, footer and its text given roles
(`app.layout.regions`). `sketch(tree)` prints it."""
from app.layout.tree import Node, sketch

__all__ = ["Node", "sketch"]
