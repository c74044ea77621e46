"""Composing the page handed over: code from the layout tree (`app.compose.html`), and the model's page
kept where it renders closer to the input, region by region (`app.compose.choose`)."""
