"""What every package of the project shares and none owns: the error hierarchy (`uicode.errors`).

`model/`, `vision/`, `kernels/`, `app/` and `train/` all import from here; this package imports none of them.
"""
