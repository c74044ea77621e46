"""`uicode serve`, the HTTP front end: an OpenAI-compatible server over the same `app.pipeline.Pipeline` the
CLI and the GUI use. Requests are parsed and limited here (`app.serve.requests`); the endpoints, admission,
SSE streaming and cancellation are `app.serve.http`'s."""
