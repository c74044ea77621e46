"""uicode package."""
