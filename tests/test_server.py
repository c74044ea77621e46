"""`uicode serve` on loopback with real sockets: the official openai client gets the local engine's tokens;
limits, auth and bad input answer 4xx JSON; overload answers 429; a disconnect cancels the generation."""
import base64
import http.client
import io
import json
import socket
import threading
import time

import pytest
from PIL import Image

from app.backends.base import GenParams
from app.pipeline import Pipeline
from app.serve.http import ServerThread, check_bind, create_app
from app.serve.requests import Limits

SYSTEM = "You write HTML."
USER = "Make a page."


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    from ckpt_factory import write_tiny_k25_checkpoint

    from app.pipeline import make_backend

    b = make_backend("local", checkpoint=write_tiny_k25_checkpoint(tmp_path_factory.mktemp("tiny"), seed=1))
    b.load()
    return b


@pytest.fixture(scope="module")
def server(backend):
    app = create_app(Pipeline(backend), limits=Limits(max_images=2, max_body_bytes=256 * 1024, max_tokens=4096,
                                            max_pixels=512 * 512))
    with ServerThread(app) as s:
        yield s


def local_text(backend, messages, params: GenParams, images=()):
    """What the engine itself generates for these chat messages (no HTTP in between)."""
    from model.chat import encode_chat
    from vision.preprocess import pack_media, preprocess_image

    items = [preprocess_image(im) for im in images]
    ids = encode_chat(backend.tokenizer, messages, [it.num_tokens for it in items], thinking=False)
    _, done = list(backend.generate_ids_many(ids, pack_media(items) if items else None, [params]))[-1]
    return done.text, done.new_tokens


def png_data_url(im: Image.Image) -> str:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def post(server, body, headers=None, raw: bytes | None = None, path="/v1/chat/completions"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, (json.loads(payload) if payload.startswith(b"{") else payload)


# ------------------------------------------------------------------------------------- the openai client
def test_openai_client_gets_the_engines_tokens(server, backend):
    import openai

    from model.chat import ImagePart, Message, TextPart

    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list().data] == [backend.model_name]
    image = Image.new("RGB", (60, 40), (30, 60, 200))
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": png_data_url(image)}},
                                             {"type": "text", "text": USER}]}]
    kw = dict(model=backend.model_name, messages=messages, max_tokens=12, temperature=0.8, top_p=0.9, seed=3)
    expected, n = local_text(backend, [Message("system", SYSTEM), Message("user", [ImagePart(), TextPart(USER)])],
                             GenParams(12, 0.8, 0.9, 3), [image])
    full = client.chat.completions.create(**kw)
    assert full.choices[0].message.content == expected
    assert full.usage.completion_tokens == n and full.choices[0].finish_reason in ("stop", "length")
    chunks = list(client.chat.completions.create(**kw, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected
    assert chunks[-1].usage.completion_tokens == n


def test_n_choices_are_the_engines_samples_with_seeds_seed_plus_k(server, backend):
    import openai

    from model.chat import Message

    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    msgs = [Message("system", SYSTEM), Message("user", USER)]
    expected = [local_text(backend, msgs, GenParams(10, 0.9, 1.0, 5 + k)) for k in range(3)]
    kw = dict(model="x", messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
              max_tokens=10, temperature=0.9, top_p=1.0, seed=5, n=3)
    full = client.chat.completions.create(**kw)
    assert [c.index for c in full.choices] == [0, 1, 2]
    assert [c.message.content for c in full.choices] == [text for text, _ in expected]
    assert len({text for text, _ in expected}) > 1
    assert full.usage.completion_tokens == sum(n for _, n in expected)
    chunks = list(client.chat.completions.create(**kw, stream=True, stream_options={"include_usage": True}))
    streamed = ["".join(c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].index == k)
                for k in range(3)]
    assert streamed == [text for text, _ in expected]
    assert chunks[-1].usage.completion_tokens == full.usage.completion_tokens


def test_stop_and_greedy(server, backend):
    import openai

    from model.chat import Message

    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    msgs = [Message("system", SYSTEM), Message("user", USER)]
    greedy, _ = local_text(backend, msgs, GenParams(10, 0.0, 1.0, None))
    kw = dict(model="x", messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
              max_tokens=10, temperature=0)
    assert client.chat.completions.create(**kw).choices[0].message.content == greedy
    stop = greedy[3:5]
    stopped = client.chat.completions.create(**kw, stop=[stop]).choices[0]
    assert stopped.message.content == greedy[:greedy.index(stop)] and stopped.finish_reason == "stop"


def test_health(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/health")
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["status"] == "ok"


# ------------------------------------------------------------------------------------------- bad input
def _user(parts):
    return {"messages": [{"role": "user", "content": parts}], "max_tokens": 2}


@pytest.mark.parametrize("case,status,fragment", [
    ("malformed json", 400, "not valid JSON"),
    ("not an object", 400, "JSON object"),
    ("no messages", 400, "messages"),
    ("non-image data url", 400, "not an image"),
    ("corrupt image", 400, "messages[0].content[0]"),
    ("remote url", 400, "not fetched"),
    ("too many images", 400, "too many images"),
    ("too many pixels", 400, "exceeds the limit"),
    ("oversized body", 413, "exceeds the limit"),
    ("max_tokens over the cap", 400, "max_tokens"),
    ("bad temperature", 400, "temperature"),
    ("n=0", 400, "'n' must be between 1 and 8"),
    ("n=9", 400, "'n' must be between 1 and 8"),
    ("over the context", 400, "context of 8192"),
])
def test_bad_requests_get_4xx_json(server, case, status, fragment):
    small = png_data_url(Image.new("RGB", (8, 8)))
    raw = None
    body = {
        "malformed json": None, "not an object": None, "no messages": {"messages": []},
        "non-image data url": _user([{"type": "image_url", "image_url": {"url": "data:text/plain;base64,aGk="}}]),
        "corrupt image": _user([{"type": "image_url", "image_url": {
            "url": "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()}}]),
        "remote url": _user([{"type": "image_url", "image_url": {"url": "http://example.com/a.png"}}]),
        "too many images": _user([{"type": "image_url", "image_url": {"url": small}}] * 3),
        "too many pixels": _user([{"type": "image_url", "image_url": {
            "url": png_data_url(Image.new("1", (1000, 1000)))}}]),
        "oversized body": _user([{"type": "text", "text": "x" * 300_000}]),
        "max_tokens over the cap": {**_user("hi"), "max_tokens": 100_000},
        "bad temperature": {**_user("hi"), "temperature": "hot"},
        "n=0": {**_user("hi"), "n": 0},
        "n=9": {**_user("hi"), "n": 9},
        "over the context": {**_user("x" * 5000), "max_tokens": 4000},
    }[case]
    if case == "malformed json":
        raw = b'{"messages": [}'
    elif case == "not an object":
        raw = b"[1, 2]"
    code, payload = post(server, body, raw=raw)
    assert code == status, payload
    assert isinstance(payload, dict) and fragment in payload["error"]["message"]
    assert "Traceback" not in json.dumps(payload)
    t0 = time.monotonic()  # a refused request gives its queue slot back (the worker's may take a moment)
    while _admitted(server) and time.monotonic() - t0 < 2:
        time.sleep(0.01)
    assert _admitted(server) == 0


def test_api_key_required_and_checked(backend):
    app = create_app(Pipeline(backend), api_key="s3cret-key", limits=Limits())
    with ServerThread(app) as s:
        body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-key"}):
            code, payload = post(s, body, headers)
            assert code == 401 and payload["error"]["type"] == "authentication_error"
            assert "s3cret-key" not in json.dumps(payload)
        code, payload = post(s, body, {"Authorization": "Bearer s3cret-key"})
        assert code == 200 and payload["usage"]["completion_tokens"] >= 1


def test_bind_refuses_public_address_without_key():
    from uicode.errors import UicodeError

    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "key")
    with pytest.raises(UicodeError, match="--api-key"):
        check_bind("0.0.0.0", None)


# ----------------------------------------------------------------------------------- overload, disconnect
def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))


def test_overload_8_clients_100_requests_queue_4(backend):
    app = create_app(Pipeline(backend), limits=Limits(max_queue=4, max_tokens=64))
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "temperature": 0}
    with ServerThread(app) as s:
        for _ in range(3):  # warm-up: allocator pools and caches reach their steady size
            assert post(s, body)[0] == 200
        rss_before = rss_bytes()
        statuses, lock, remaining = [], threading.Lock(), [100]

        def client():
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                try:
                    code, _ = post(s, body)
                except OSError as e:  # a refused or reset connection would be a failure too
                    code = f"error {e}"
                with lock:
                    statuses.append(code)
                if code == 429:
                    time.sleep(0.05)  # a polite client backs off briefly (the server says Retry-After: 1)

        threads = [threading.Thread(target=client) for _ in range(8)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "clients hung"
        elapsed = time.monotonic() - t0
        rss_after = rss_bytes()
    assert len(statuses) == 100 and set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 4 and statuses.count(429) >= 1
    assert rss_after <= rss_before * 1.10, (rss_before, rss_after)
    print(f"overload: {statuses.count(200)} x 200, {statuses.count(429)} x 429 in {elapsed:.1f} s, "
          f"RSS {rss_before / 2**20:.0f} → {rss_after / 2**20:.0f} MiB")


def _admitted(server) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/health")
    n = json.loads(conn.getresponse().read())["admitted"]
    conn.close()
    return n


def test_disconnect_mid_stream_stops_generation(server):
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4000, "temperature": 0.7,
                       "seed": 1, "stream": True}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    received = b""
    while received.count(b"data: ") < 4:  # the role chunk and a few tokens
        received += sock.recv(4096)
    assert _admitted(server) == 1
    sock.close()
    t0 = time.monotonic()
    while _admitted(server) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    stopped_after = time.monotonic() - t0
    assert _admitted(server) == 0
    assert stopped_after < 1.0, f"generation ran {stopped_after:.2f} s after the client left"
    print(f"streamed disconnect: generation stopped {stopped_after * 1000:.0f} ms after the client left")


def test_disconnect_while_waiting_for_a_non_streamed_answer(server):
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4000, "temperature": 0.7,
                       "seed": 2}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    t0 = time.monotonic()
    while not _admitted(server) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    time.sleep(0.3)  # generating now
    sock.close()
    t0 = time.monotonic()
    while _admitted(server) and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    stopped_after = time.monotonic() - t0
    assert _admitted(server) == 0 and stopped_after < 1.0, stopped_after
    print(f"non-streamed disconnect: generation stopped {stopped_after * 1000:.0f} ms after the client left")
