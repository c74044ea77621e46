"""`uicode serve`: an OpenAI-compatible HTTP server over the in-process engine (FastAPI + uvicorn).

Endpoints: `POST /v1/chat/completions` (streaming SSE and not; text and `image_url` parts with `data:`
URLs; `max_tokens`/`max_completion_tokens`, `temperature`, `top_p`, `seed`, `stop`, `n` (choices decoded side
by side after one prefill; choice k samples with seed + k);
`chat_template_kwargs.thinking` picks K2.5's thinking or instant generation prompt, instant by default),
`GET /v1/models`, `GET /health`.

Safety, all configurable in `Limits` (`app.serve.requests`, which parses and checks each request): the server binds 127.0.0.1 unless an API key is set (then every `/v1`
request must carry `Authorization: Bearer KEY`, compared in constant time); request bodies over
`max_body_bytes` get 413 (checked on the declared length and while reading); more than `max_images` images,
images over `max_pixels`, non-image or non-`data:` image URLs (remote URLs are never fetched), and
`max_tokens` over its cap get 400; when `max_queue` requests are already admitted (running or waiting), a
new one gets 429 at once instead of waiting. Every error is a JSON body `{"error": {"message", "type",
"code"}}`; no traceback ever reaches a client.

Generation runs on one worker thread (one model, one generation at a time) through
`app.pipeline.Pipeline.chat`, the path `uicode convert` takes to the same backend: images are loaded and cut to
the checkpoint's patch budget as a conversion's are. The event loop only moves bytes. A client that disconnects
sets its request's cancel flag, and `model.generate` stops at the next token; a request cancelled while still
queued never starts.

Not here: the pipeline and the engine (`app/pipeline.py`, `app/backends/local.py`, `model/`), the CLI flags
(`app/cli.py`).
"""
# No `from __future__ import annotations` here: FastAPI must see the real `Request` class in the endpoint
# signatures, which are defined inside `create_app` where a string annotation could not be resolved.
import asyncio
import contextlib
import hmac
import ipaddress
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from app.backends.base import Delta, Done, GenParams
from app.serve.requests import ApiError, Limits, parse_messages, parse_n, parse_params
from uicode.errors import UicodeError

LOOPBACK_HOSTS = {"localhost"}
DISCONNECT_POLL_S = 0.1  # how often a non-streamed request checks that its client is still there


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse a non-loopback address without an API key (raised as a usage error by the CLI)."""
    if not is_loopback(host) and not api_key:
        raise UicodeError(f"refusing to bind {host} without --api-key (or UICODE_SERVER_API_KEY): anyone on "
                          "the network could use the model; bind 127.0.0.1 or set a key")


# --------------------------------------------------------------------------------------------------- app
class Engine:
    """Admission control and the single generation thread in front of the pipeline."""

    def __init__(self, pipeline, limits: Limits):
        self.pipeline = pipeline
        self.limits = limits
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uicode-gen")
        self.admitted = 0
        self.active_cancels: set[threading.Event] = set()

    def run(self, messages, images, thinking: bool, params: list[GenParams], cancel: threading.Event, emit) -> None:
        """Worker-thread body: one choice per `params` item through `Pipeline.chat` (the media loaded and the
        prompt encoded as `uicode convert` does), every `(k, event)` passed to `emit` (thread-safe), then None."""
        try:
            if cancel.is_set():
                emit(("cancelled", None))
                return
            for k, ev in self.pipeline.chat(messages, images, params, thinking=thinking, cancel=cancel):
                emit(("event", (k, ev)))
        except ApiError as e:
            emit(("error", e))
        except UicodeError as e:  # the user's input (exit code 2) is a 400; the model's failure a 500
            emit(("error", ApiError(400, str(e)) if e.exit_code == 2 else ApiError(500, str(e), "server_error")))
        except Exception as e:  # noqa: BLE001 - a worker must always report back, never die silently
            emit(("error", ApiError(500, f"generation failed: {type(e).__name__}", "server_error")))
        finally:
            emit(None)


def _error_response(e: ApiError):
    from fastapi.responses import JSONResponse

    headers = {"Retry-After": "1"} if e.status == 429 else None
    return JSONResponse({"error": {"message": e.message, "type": e.type, "code": e.code}}, status_code=e.status,
                        headers=headers)


def create_app(pipeline, *, api_key: str | None = None, limits: Limits = Limits(), model_name: str | None = None):
    """The ASGI app over `pipeline`, an `app.pipeline.Pipeline` on a local backend (loaded here)."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    class _CancelOnExit(StreamingResponse):
        """A stream whose generation is cancelled however the response ends: completed, client disconnect
        (Starlette cancels the stream task), or a failed send."""

        def __init__(self, content, cancel: threading.Event, **kw):
            super().__init__(content, **kw)
            self._cancel = cancel

        async def __call__(self, scope, receive, send) -> None:
            try:
                await super().__call__(scope, receive, send)
            finally:
                self._cancel.set()

    backend = pipeline.backend
    backend.load()
    engine = Engine(pipeline, limits)
    name = model_name or backend.model_name

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        engine.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="uicode", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.engine = engine

    @app.exception_handler(ApiError)
    async def _api_error(request, e: ApiError):
        return _error_response(e)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, e):
        return _error_response(ApiError(e.status_code, str(e.detail), "invalid_request_error"))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, e):
        return _error_response(ApiError(400, f"invalid request: {e.errors()}"))

    @app.exception_handler(Exception)
    async def _unexpected(request, e):
        return _error_response(ApiError(500, f"internal error ({type(e).__name__})", "server_error"))

    def check_key(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise ApiError(401, "missing or wrong API key (send 'Authorization: Bearer KEY')",
                           "authentication_error", "invalid_api_key")

    async def read_body(request: Request) -> dict:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
            raise ApiError(413, f"request body of {declared} bytes exceeds the limit of {limits.max_body_bytes}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise ApiError(413, f"request body exceeds the limit of {limits.max_body_bytes} bytes")
            chunks.append(chunk)
        try:
            body = json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        return body

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": name, "admitted": engine.admitted, "max_queue": limits.max_queue}

    @app.get("/v1/models")
    async def models(request: Request):
        check_key(request)
        # "uicode" is an extension field: a uicode client adopts the model's native targets and its OCR and sketch
        # prompting, so a conversion through the server sends the same prompt the local engine would build.
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "uicode",
                                            "uicode": {"targets": list(backend.native_targets),
                                                       "ocr_prompt": bool(getattr(backend, "ocr_prompt", False)),
                                                       "sketch_prompt": bool(getattr(backend, "sketch_prompt",
                                                                                     False))}}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        check_key(request)
        # The slot is taken before the body is read, so an overloaded server answers 429 without reading or
        # decoding anything, and the count cannot overshoot between an await and the increment.
        if engine.admitted >= limits.max_queue:
            raise ApiError(429, f"server busy: {engine.admitted} requests queued (limit {limits.max_queue}); retry",
                           "rate_limit_error", "queue_full")
        engine.admitted += 1
        loop = asyncio.get_running_loop()
        try:
            body = await read_body(request)
            # Base64 and image decoding off the event loop: a large image would stall every other client.
            messages, images = await loop.run_in_executor(None, parse_messages, body, limits)
            one = parse_params(body, limits)
            n = parse_n(body, limits)
            params = [one if one.seed is None else replace(one, seed=one.seed + k) for k in range(n)]
        except BaseException:
            engine.admitted -= 1
            raise
        tk = body.get("chat_template_kwargs") or {}
        thinking = bool(tk.get("thinking", False)) if isinstance(tk, dict) else False
        stream = bool(body.get("stream", False))
        so = body.get("stream_options") or {}
        include_usage = bool(so.get("include_usage")) if isinstance(so, dict) else False
        queue: asyncio.Queue = asyncio.Queue()
        cancel = threading.Event()

        def emit(item):
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def release(_fut):
            loop.call_soon_threadsafe(_release)

        def _release():
            engine.admitted -= 1

        fut = engine.executor.submit(engine.run, messages, images, thinking, params, cancel, emit)
        fut.add_done_callback(release)
        rid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        if not stream:
            return await _complete(request, queue, cancel, rid, created, n)

        async def sse():
            def chunk(delta: dict, finish=None, usage=None, index: int = 0):
                obj = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": name,
                       "choices": [] if usage is not None else
                       [{"index": index, "delta": delta, "finish_reason": finish}]}
                if usage is not None:
                    obj["usage"] = usage
                return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

            try:
                for k in range(n):
                    yield chunk({"role": "assistant", "content": ""}, index=k)
                dones = {}
                while True:
                    item = await queue.get()
                    if item is None:
                        break
                    kind, ev = item
                    if kind == "error":
                        err = {"error": {"message": ev.message, "type": ev.type, "code": ev.code}}
                        yield f"data: {json.dumps(err)}\n\n"
                        break
                    if kind == "cancelled":
                        break
                    k, ev = ev
                    if isinstance(ev, Delta) and ev.text:
                        yield chunk({"content": ev.text}, index=k)
                    elif isinstance(ev, Done):
                        dones[k] = ev
                        yield chunk({}, _finish(ev.finish_reason), index=k)
                        if include_usage and len(dones) == n:
                            yield chunk({}, usage=_usage(list(dones.values())))
                yield "data: [DONE]\n\n"
            finally:
                # Reached on normal end and when the client goes away (the response task is cancelled).
                cancel.set()

        return _CancelOnExit(sse(), cancel, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _complete(request: Request, queue: asyncio.Queue, cancel: threading.Event, rid: str, created: int,
                        n: int):
        dones: dict[int, Done] = {}
        last_check = time.monotonic()
        try:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=DISCONNECT_POLL_S)
                except asyncio.TimeoutError:
                    item = ()
                # Tokens may arrive faster than the poll interval, so check the client on time, not on idleness.
                if time.monotonic() - last_check >= DISCONNECT_POLL_S:
                    last_check = time.monotonic()
                    if await request.is_disconnected():
                        cancel.set()
                        return JSONResponse({"error": {"message": "client disconnected", "type": "cancelled",
                                                       "code": None}}, status_code=499)
                if item == ():
                    continue
                if item is None:
                    break
                kind, ev = item
                if kind == "error":
                    return _error_response(ev)
                if kind == "cancelled":
                    break
                k, ev = ev
                if isinstance(ev, Done):
                    dones[k] = ev
        finally:
            cancel.set()
        if len(dones) < n:
            return _error_response(ApiError(503, "generation was cancelled", "server_error"))
        return {"id": rid, "object": "chat.completion", "created": created, "model": name,
                "choices": [{"index": k, "message": {"role": "assistant", "content": dones[k].text},
                             "finish_reason": _finish(dones[k].finish_reason)} for k in range(n)],
                "usage": _usage(list(dones.values()))}

    return app


def _finish(reason: str) -> str:
    return "length" if reason == "length" else "stop"


def _usage(dones: list[Done]) -> dict:
    """One prompt (prefilled once), every choice's tokens."""
    completion = sum(d.new_tokens for d in dones)
    return {"prompt_tokens": dones[0].prompt_tokens, "completion_tokens": completion,
            "total_tokens": dones[0].prompt_tokens + completion}


class ServerThread:
    """Run an ASGI app with uvicorn on a background thread (real sockets; for tests and embedding).
    `port=0` picks a free port; `.url` is the `/v1` base URL once `start()` returns."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                                    access_log=False, timeout_keep_alive=5))
        self.thread = threading.Thread(target=self.server.run, name="uicode-server", daemon=True)
        self.host, self.port = host, port

    def start(self, timeout: float = 30.0) -> "ServerThread":
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() - t0 > timeout:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(pipeline, host: str = "127.0.0.1", port: int = 8000, *, api_key: str | None = None,
          limits: Limits = Limits(), log_level: str = "info") -> None:
    """Run the server over `pipeline` until interrupted (blocking)."""
    import uvicorn

    check_bind(host, api_key)
    app = create_app(pipeline, api_key=api_key, limits=limits)
    # No uvicorn `limit_concurrency`: it answers 503 past its limit, and overload must be a 429 from the
    # admission check (bodies are bounded by `max_body_bytes`, so idle connections cost little).
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, timeout_keep_alive=5)
