"""`python -m app.gui` = `uicode gui`."""
import sys

from app.gui import main

sys.exit(main())
