"""Composing the page handed over: code from the layout tree (`app.compose.html`), the model's page kept where
it renders closer to the input, region by region (`app.compose.choose`), and pages joined into one with their
stylesheets scoped (`app.compose.join`: the bands of a long page, the model's regions in the engine's page)."""
