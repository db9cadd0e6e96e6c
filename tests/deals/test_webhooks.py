"""Chat webhook senders against a real local HTTP server that plays each provider."""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from deals.webhooks import (
    PROVIDERS,
    RATE_LIMITS,
    ChatMessage,
    DeliveryError,
    build_request,
    post,
    summary_message,
)

SECRET = "SECd0c5e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2"
TOKEN = "7f3c9a1e5b2d8f4a6c0e9b1d3f5a7c9e"

MESSAGE = ChatMessage(
    title="Overdue: Margin review for 华电 bid",
    lines=("Owner: 王芳 (售前技术部)", "Due 2026-03-02 14:00 · overdue 1d 3h"),
    url="https://dealdesk.example.com/asks/42/",
    data={"kind": "overdue", "ask_id": 42, "level": 1, "due_at": "2026-03-02T06:00:00+00:00"},
)


@dataclass
class Recorded:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class FakeChat:
    """Records every POST and answers with the next scripted reply (default: 200 "ok")."""

    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    replies: list[tuple[int, bytes, float, dict]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def reply(self, status=200, body="ok", *, delay=0.0, headers=None):
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
        self.replies.append((status, body.encode(), delay, headers or {}))

    def url(self, path=f"/robot/send?access_token={TOKEN}"):
        return self.base_url + path


@pytest.fixture
def chat():
    fake = FakeChat()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            parts = urlsplit(self.path)
            fake.requests.append(
                Recorded(parts.path, parts.query, dict(self.headers), self.rfile.read(length))
            )
            status, body, delay, headers = (
                fake.replies.pop(0) if fake.replies else (200, b"ok", 0, {})
            )
            if delay and fake.stopping.wait(delay):
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    class QuietServer(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client that gave up (read timeout) leaves a broken pipe behind

    server = QuietServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.stopping.set()
    server.shutdown()
    server.server_close()


def dingtalk_sign(secret, timestamp):
    """DingTalk's published recipe: HmacSHA256(key=secret, "<ts>\\n<secret>"), base64."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret, timestamp):
    """Feishu's published recipe: HmacSHA256(key="<ts>\\n<secret>", empty message), base64."""
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def delivery_error(*args, **kwargs) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        post(*args, **kwargs)
    return caught.value


# --- what each provider receives ---------------------------------------------------------


def test_dingtalk_gets_markdown_with_bold_title_the_lines_and_a_link(chat):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    post("dingtalk", chat.url(), "", MESSAGE)

    body = chat.requests[0].json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == MESSAGE.title
    text = body["markdown"]["text"]
    assert text.startswith(f"**{MESSAGE.title}**")
    assert "Owner: 王芳 （售前技术部）" in text  # brackets neutralised, same reading
    assert f"[{MESSAGE.title}]({MESSAGE.url})" in text


@pytest.mark.parametrize("provider", ["dingtalk", "wecom"])
def test_a_title_cannot_smuggle_a_link_or_an_image_into_a_markdown_chat(chat, provider):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    sneaky = ChatMessage(
        title="Quote [click me](https://evil.example) ![x](https://evil.example/t.png)",
        lines=("**urgent** <b>now</b>",),
        url="https://dealdesk.example.com/asks/42/",
    )
    post(provider, chat.url(), "", sneaky)
    markdown = chat.requests[0].json()["markdown"]
    text = markdown.get("text") or markdown["content"]
    assert "https://evil.example" in text  # the words stay readable…
    assert "](https://evil.example" not in text  # …but are no longer a link or an image
    assert "**urgent**" not in text and "<b>" not in text
    assert "](https://dealdesk.example.com/asks/42/)" in text  # our own link still works


def test_a_private_address_is_refused_when_private_networks_are_not_allowed(chat):
    chat.reply(body={"ok": True})
    with pytest.raises(DeliveryError) as caught:
        post("generic", chat.url(), "", MESSAGE, allow_private=False)
    assert caught.value.permanent
    assert "private network" in caught.value.message
    assert chat.requests == []


def test_a_generic_endpoint_s_answer_is_never_echoed_in_the_error(chat):
    chat.reply(status=403, body="internal admin console: secret stuff")
    with pytest.raises(DeliveryError) as caught:
        post("generic", chat.url(), "", MESSAGE)
    assert "secret stuff" not in caught.value.message and "403" in caught.value.message


def test_unsigned_dingtalk_request_keeps_the_url_as_configured(chat):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    post("dingtalk", chat.url(), "", MESSAGE)

    assert chat.requests[0].query == f"access_token={TOKEN}"


def test_signed_dingtalk_request_carries_a_fresh_timestamp_and_the_published_signature(chat):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    post("dingtalk", chat.url(), SECRET, MESSAGE)

    query = chat.requests[0].query
    raw = dict(pair.split("=", 1) for pair in query.split("&"))
    timestamp = raw["timestamp"]
    assert raw["access_token"] == TOKEN
    assert abs(int(timestamp) - time.time() * 1000) < 60_000
    # Base64 has "+", "/" and "=", so the signature must arrive URL-encoded.
    assert raw["sign"] == quote(dingtalk_sign(SECRET, timestamp), safe="")
    assert parse_qs(query)["sign"] == [dingtalk_sign(SECRET, timestamp)]


def test_dingtalk_signature_starts_the_query_string_when_the_url_has_none():
    url, _, _ = build_request(
        "dingtalk", "https://oapi.example.com/robot/send", SECRET, MESSAGE, now=1_700_000_000.5
    )

    assert url.startswith("https://oapi.example.com/robot/send?timestamp=1700000000500&sign=")
    assert parse_qs(urlsplit(url).query)["sign"] == [dingtalk_sign(SECRET, 1700000000500)]


def test_wecom_gets_markdown_content_with_title_lines_and_link(chat):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    post("wecom", chat.url(f"/cgi-bin/webhook/send?key={TOKEN}"), "", MESSAGE)

    body = chat.requests[0].json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.splitlines()[0] == f"**{MESSAGE.title}**"
    assert "Due 2026-03-02 14:00 · overdue 1d 3h" in content
    assert f"[{MESSAGE.title}]({MESSAGE.url})" in content


def test_feishu_gets_text_and_a_signature_in_the_body(chat):
    chat.reply(body={"code": 0, "msg": "success", "data": {}})
    post("feishu", chat.url(f"/open-apis/bot/v2/hook/{TOKEN}"), SECRET, MESSAGE)

    body = chat.requests[0].json()
    assert body["msg_type"] == "text"
    assert body["content"]["text"].splitlines() == [MESSAGE.title, *MESSAGE.lines, MESSAGE.url]
    assert abs(int(body["timestamp"]) - time.time()) < 60
    assert body["sign"] == feishu_sign(SECRET, body["timestamp"])


def test_unsigned_feishu_body_has_no_timestamp_or_sign(chat):
    chat.reply(body={"code": 0, "msg": "success"})
    post("feishu", chat.url(f"/open-apis/bot/v2/hook/{TOKEN}"), "", MESSAGE)

    assert set(chat.requests[0].json()) == {"msg_type", "content"}


def test_slack_gets_mrkdwn_with_the_title_as_a_link_and_escaped_lines(chat):
    message = ChatMessage(title="Pricing <draft> & terms", lines=("R&D <late>",), url=MESSAGE.url)
    post("slack", chat.url(f"/services/T000/B000/{TOKEN}"), "", message)

    text = chat.requests[0].json()["text"]
    assert text.splitlines() == [
        f"*<{MESSAGE.url}|Pricing &lt;draft&gt; &amp; terms>*",
        "R&amp;D &lt;late&gt;",
    ]


def test_generic_gets_utf8_json_with_data_fields_signed_over_the_exact_bytes(chat):
    chat.reply(204, "")
    post("generic", chat.url("/hooks/dealdesk"), SECRET, MESSAGE)

    recorded = chat.requests[0]
    assert recorded.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "华电".encode() in recorded.body  # not \u escapes
    assert recorded.json() == {
        "event": "dealdesk.nudge",
        "title": MESSAGE.title,
        "text": "\n".join(MESSAGE.lines),
        "url": MESSAGE.url,
        **MESSAGE.data,
    }
    expected = hmac.new(SECRET.encode(), recorded.body, hashlib.sha256).hexdigest()
    assert recorded.headers["X-DealDesk-Signature"] == f"sha256={expected}"


def test_generic_data_cannot_overwrite_the_event_or_link():
    message = ChatMessage(
        title="t", lines=(), url="https://a.example/", data={"event": "x", "url": "y"}
    )
    _, body, headers = build_request("generic", "https://hooks.example/in", "", message)

    assert json.loads(body)["event"] == "dealdesk.nudge"
    assert json.loads(body)["url"] == "https://a.example/"
    assert "X-DealDesk-Signature" not in headers


# --- what counts as delivered ------------------------------------------------------------

SUCCESS_REPLIES = [
    ("dingtalk", 200, {"errcode": 0, "errmsg": "ok"}),
    ("wecom", 200, {"errcode": 0, "errmsg": "ok"}),
    ("feishu", 200, {"code": 0, "msg": "success", "data": {}}),
    ("feishu", 200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}),
    ("slack", 200, "ok"),
    ("generic", 202, ""),
]


@pytest.mark.parametrize(("provider", "status", "body"), SUCCESS_REPLIES)
def test_a_provider_success_reply_returns_quietly(chat, provider, status, body):
    chat.reply(status, body)

    assert post(provider, chat.url(), SECRET, MESSAGE) is None
    assert len(chat.requests) == 1


FAILURES = [
    # provider, HTTP status, reply body, permanent?
    (
        "dingtalk",
        200,
        {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
        False,
    ),
    ("dingtalk", 200, {"errcode": 310000, "errmsg": "keywords not in content"}, True),
    ("dingtalk", 200, {"errcode": 300001, "errmsg": "token is not exist"}, True),
    ("dingtalk", 200, "<html>gateway login</html>", False),
    ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, False),
    ("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, True),
    ("feishu", 200, {"code": 9499, "msg": "too many request"}, False),
    (
        "feishu",
        400,
        {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
        True,
    ),
    ("slack", 429, "rate_limited", False),
    ("slack", 404, "no_service", True),
    ("slack", 403, "invalid_token", True),
    ("slack", 410, "channel_is_archived", True),
    ("generic", 500, "boom", False),
    ("generic", 503, "", False),
    ("generic", 408, "", False),
    ("generic", 400, "bad", True),
]


@pytest.mark.parametrize(("provider", "status", "body", "permanent"), FAILURES)
def test_a_failure_is_classified_so_only_transient_ones_are_retried(
    chat, provider, status, body, permanent
):
    chat.reply(status, body)

    error = delivery_error(provider, chat.url(), SECRET, MESSAGE)

    assert error.permanent is permanent
    assert provider in error.message


def test_the_provider_error_code_and_message_appear_in_the_error(chat):
    chat.reply(body={"errcode": 310000, "errmsg": "keywords not in content"})

    error = delivery_error("dingtalk", chat.url(), "", MESSAGE)

    assert "310000 keywords not in content" in error.message


def test_a_redirect_is_not_followed_and_is_permanent(chat):
    chat.reply(302, "", headers={"Location": chat.url("/elsewhere")})

    error = delivery_error("generic", chat.url("/hooks/dealdesk"), SECRET, MESSAGE)

    assert error.permanent is True
    assert [r.path for r in chat.requests] == ["/hooks/dealdesk"]


def test_a_slow_reply_times_out_quickly_as_transient(chat):
    chat.reply(body={"errcode": 0}, delay=5)

    started = time.monotonic()
    error = delivery_error("dingtalk", chat.url(), "", MESSAGE, read_timeout=0.3)

    assert time.monotonic() - started < 2
    assert error.permanent is False
    assert "timed out" in error.message


def test_a_refused_connection_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.

    error = delivery_error("slack", f"http://127.0.0.1:{port}/services/{TOKEN}", "", MESSAGE)

    assert error.permanent is False


ECHOING_REPLIES = [
    ("dingtalk", 200, {"errcode": 310000, "errmsg": f"sign {SECRET} bad for {TOKEN}"}),
    ("slack", 500, f"bad sign {SECRET} for access_token={TOKEN}"),
    ("slack", 400, f"bad {'x' * 170} {SECRET}"),  # the secret straddles the length cut
]


@pytest.mark.parametrize(("provider", "status", "body"), ECHOING_REPLIES)
def test_an_error_never_shows_the_secret_or_the_url_token(chat, provider, status, body):
    # A provider that echoes what it was sent must not leak it into our logs.
    chat.reply(status, body)

    error = delivery_error(provider, chat.url(), SECRET, MESSAGE)

    assert SECRET[:12] not in error.message
    assert TOKEN not in error.message
    assert "127.0.0.1" in error.message
    assert "bad" in error.message


def test_a_path_token_is_hidden_from_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = delivery_error(
        "feishu", f"http://127.0.0.1:{port}/open-apis/bot/v2/hook/{TOKEN}", "", MESSAGE
    )

    assert TOKEN not in error.message
    assert f"http://127.0.0.1:{port}/…" in error.message


def test_an_unknown_provider_is_a_permanent_error(chat):
    error = delivery_error("teams", chat.url(), "", MESSAGE)

    assert error.permanent is True
    assert chat.requests == []


def test_a_caller_supplied_client_is_used_and_left_open(chat):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    with httpx.Client(headers={"X-Trace": "sweep-7"}) as client:
        post("wecom", chat.url(), "", MESSAGE, client=client)

        assert not client.is_closed
    assert chat.requests[0].headers["X-Trace"] == "sweep-7"


def test_every_provider_has_a_rate_limit_entry():
    assert set(RATE_LIMITS) == set(PROVIDERS)
    assert RATE_LIMITS["dingtalk"] == 20
    assert RATE_LIMITS["generic"] is None


# --- merging a burst ---------------------------------------------------------------------


def ask_message(number, title="Margin review"):
    return ChatMessage(
        title=f"{title} #{number}", lines=("x",), url=f"https://dd.example/asks/{number}/"
    )


def test_summary_has_one_line_per_message_in_order():
    merged = summary_message(
        [ask_message(1), ask_message(2)],
        title="2 asks need attention",
        url="https://dd.example/queue/",
    )

    assert merged.title == "2 asks need attention"
    assert merged.url == "https://dd.example/queue/"
    assert merged.lines == (
        "• Margin review #1 https://dd.example/asks/1/",
        "• Margin review #2 https://dd.example/asks/2/",
    )
    assert merged.data == {"kind": "summary", "count": 2}


def test_summary_of_a_large_burst_is_capped_with_a_count_of_the_rest():
    messages = [ask_message(n, title="华电项目毛利率复核") for n in range(200)]

    merged = summary_message(
        messages, title="t", url="https://dd.example/", more_format="…以及另外 {n} 条"
    )

    body = "\n".join(merged.lines)
    assert len(body.encode()) <= 3500
    kept = len(merged.lines) - 1
    assert 10 < kept < 200
    assert merged.lines[-1] == f"…以及另外 {200 - kept} 条"
    assert merged.lines[kept - 1].startswith(f"• 华电项目毛利率复核 #{kept - 1} ")


def test_summary_that_fits_exactly_gets_no_more_line():
    messages = [ask_message(1), ask_message(2)]
    exact = sum(len(f"• {m.title} {m.url}".encode()) + 1 for m in messages)

    merged = summary_message(messages, title="t", url="u", max_bytes=exact)

    assert len(merged.lines) == 2


def test_summary_merged_message_is_accepted_by_wecom_size_rules(chat):
    chat.reply(body={"errcode": 0, "errmsg": "ok"})
    merged = summary_message(
        [ask_message(n, title="华电项目毛利率复核") for n in range(200)],
        title="汇总",
        url="https://dd.example/",
    )
    post("wecom", chat.url(), "", merged)

    assert len(chat.requests[0].json()["markdown"]["content"].encode()) <= 4096
