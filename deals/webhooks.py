"""Send one chat message to a group webhook: DingTalk, WeCom, Feishu/Lark, Slack, generic JSON.

This is the sending layer only; it knows nothing about asks or deals. Callers build a
`ChatMessage` (already in the recipient's language), call `post()`, and decide what to do
with a `DeliveryError` from its `permanent` flag: retry later, or stop and tell a human.

Why the rules are what they are:

- Every provider answers "rate limited" differently (DingTalk errcode 130101, WeCom 45009,
  Feishu code 9499/11232, HTTP 429 elsewhere). Those, timeouts, connection failures and
  5xx are transient: the same request can succeed later. Anything else the provider
  rejects (bad token, failed signature, missing keyword, deleted channel) will fail the
  same way every time, so it is permanent and retrying only burns the rate limit.
- DingTalk, WeCom and Feishu reply HTTP 200 with an error code in the JSON body, so a
  2xx is not success until the code says 0; a 2xx that is not JSON came from something
  in between (a proxy, a captive portal) and is worth another try.
- Signatures follow each provider's published algorithm: DingTalk signs
  "<ms timestamp>\\n<secret>" with the secret as HMAC key and puts it in the query string;
  Feishu uses "<s timestamp>\\n<secret>" as the *key* over an empty message and puts it in
  the body. The generic provider signs the exact body bytes (X-DealDesk-Signature), so the
  body is serialised once and those bytes are sent.
- Redirects are not followed: a webhook that redirects is misconfigured, and following it
  could hand a signed request to another host.
- Webhook URLs carry their credential (access_token, key, path token), so errors name
  only scheme://host/… and never the secret.
- `RATE_LIMITS` are the documented per-robot limits per rolling minute; when a burst
  would exceed one, callers merge the burst with `summary_message()`.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx

PROVIDERS = ("dingtalk", "wecom", "feishu", "slack", "generic")

# Messages per rolling 60 s, per robot, as each provider documents it.
RATE_LIMITS: dict[str, int | None] = {
    "dingtalk": 20,
    "wecom": 20,
    "feishu": 100,
    "slack": 60,
    "generic": None,
}

# These reply HTTP 200 with a result code in a JSON body; 0 means delivered.
CODE_REPLY_PROVIDERS = ("dingtalk", "wecom", "feishu")
# Result codes that mean "too fast, try again later".
TRANSIENT_CODES = {
    "dingtalk": {130101},
    "wecom": {45009},
    "feishu": {9499, 11232},
}

# WeCom rejects markdown over 4096 bytes of UTF-8; leave room for the title and link.
SUMMARY_MAX_BYTES = 3500
# Webhook replies are a few hundred bytes; never buffer more than this of a misbehaving one.
MAX_RESPONSE_BYTES = 64 * 1024

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "DealDesk"}


@dataclass(frozen=True)
class ChatMessage:
    title: str
    lines: tuple[str, ...]
    url: str
    data: dict = field(default_factory=dict)


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def _sign_dingtalk(secret: str, timestamp_ms: int) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def _sign_feishu(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Markdown that would turn an ask's title into a link, an image or formatting in a chat
# the bot speaks in: swapped for the full-width forms, which read the same.
_MARKDOWN_NEUTRAL = str.maketrans("[]()*_!<>`#\\", "［］（）＊＿！＜＞｀＃＼")


def _plain(text: str) -> str:
    return text.translate(_MARKDOWN_NEUTRAL)


def _payload(provider: str, message: ChatMessage) -> dict:
    title, lines, url = message.title, list(message.lines), message.url
    if provider in ("dingtalk", "wecom"):
        title, lines = _plain(title), [_plain(line) for line in lines]
    if provider == "dingtalk":
        # DingTalk markdown needs a blank line for a line break.
        text = "\n\n".join([f"**{title}**", *lines, f"[{title}]({url})"])
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if provider == "wecom":
        content = "\n".join([f"**{title}**", *lines, f"[{title}]({url})"])
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if provider == "feishu":
        return {"msg_type": "text", "content": {"text": "\n".join([title, *lines, url])}}
    if provider == "slack":
        link = f"*<{url}|{_slack_escape(title)}>*"
        return {"text": "\n".join([link, *(_slack_escape(line) for line in lines)])}
    if provider == "generic":
        payload = {"event": "dealdesk.nudge", "title": title, "text": "\n".join(lines), "url": url}
        payload.update((k, v) for k, v in message.data.items() if k not in payload)
        return payload
    raise ValueError(f"unknown webhook provider {provider!r}; expected one of {PROVIDERS}")


def build_request(
    provider: str, url: str, secret: str, message: ChatMessage, *, now: float | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """The URL to POST to, the exact body bytes, and the headers.

    DingTalk's signature goes into the query string, Feishu's into the body, the generic
    provider's into a header over the final bytes; WeCom and Slack authenticate by URL only.
    """
    now = time.time() if now is None else now
    payload = _payload(provider, message)
    headers = dict(JSON_HEADERS)
    if secret and provider == "dingtalk":
        timestamp_ms = round(now * 1000)
        separator = "&" if urlsplit(url).query else ("" if url.endswith("?") else "?")
        url = (
            f"{url}{separator}timestamp={timestamp_ms}&sign={_sign_dingtalk(secret, timestamp_ms)}"
        )
    elif secret and provider == "feishu":
        timestamp_s = int(now)
        payload = {
            "timestamp": str(timestamp_s),
            "sign": _sign_feishu(secret, timestamp_s),
            **payload,
        }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if secret and provider == "generic":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-DealDesk-Signature"] = f"sha256={digest}"
    return url, body, headers


def summary_message(
    messages: list[ChatMessage],
    *,
    title: str,
    url: str,
    more_format: str = "… +{n}",
    max_bytes: int = SUMMARY_MAX_BYTES,
) -> ChatMessage:
    """Merge a burst into one message: one "• <title> <url>" line per message.

    Lines are kept in order while the body (lines joined by newlines, measured in UTF-8
    bytes, which is how WeCom counts) stays within `max_bytes`, always leaving room for
    a final `more_format.format(n=<left out>)` line when something has to be left out.
    """
    lines = [f"• {m.title} {m.url}" for m in messages]
    reserve = len(more_format.format(n=len(lines)).encode()) + 1
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        size = len(line.encode()) + 1
        needs_reserve = index < len(lines) - 1
        if used + size + (reserve if needs_reserve else 0) > max_bytes:
            break
        kept.append(line)
        used += size
    if len(kept) < len(lines):
        kept.append(more_format.format(n=len(lines) - len(kept)))
    return ChatMessage(
        title=title, lines=tuple(kept), url=url, data={"kind": "summary", "count": len(messages)}
    )


def _where(url: str) -> str:
    """scheme://host/… — enough to tell webhooks apart, without the token in path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme or '?'}://{host}/…"


def _scrub(text: str, url: str, secret: str) -> str:
    """Remove the secret and anything token-like from the URL, should a reply echo them."""
    parts = urlsplit(url)
    candidates = [*(v for _, v in parse_qsl(parts.query)), *parts.path.split("/")]
    tokens = {t for t in candidates if len(t) >= 12}
    if secret:
        tokens.add(secret)
    for token in sorted(tokens, key=len, reverse=True):
        text = text.replace(token, "…")
    return text


def _provider_code(provider: str, raw: bytes) -> tuple[dict | None, int | None, str]:
    try:
        payload = json.loads(raw)
    except ValueError:
        return None, None, ""
    if not isinstance(payload, dict):
        return None, None, ""
    if provider == "feishu":
        code = payload.get("code", payload.get("StatusCode"))
        detail = payload.get("msg") or payload.get("StatusMessage") or ""
    else:
        code, detail = payload.get("errcode"), payload.get("errmsg") or ""
    try:
        code = None if code is None else int(code)
    except (TypeError, ValueError):
        code = None
    return payload, code, str(detail)


def _check_reply(provider: str, status: int, raw: bytes) -> tuple[str, bool] | None:
    """None when delivered, else (what went wrong, permanent?)."""
    if provider in CODE_REPLY_PROVIDERS:
        payload, code, detail = _provider_code(provider, raw)
    elif provider == "generic":
        # Any server can sit behind a generic URL: never echo what it answered.
        payload, code, detail = None, None, ""
    else:
        payload, code, detail = None, None, raw.decode(errors="replace").strip()
    said = f"{code} {detail}".strip() if code is not None else detail
    if code in TRANSIENT_CODES.get(provider, ()):
        return f"rate limited ({said})", False
    if 300 <= status < 400:
        return f"HTTP {status} redirect; check the webhook URL", True
    if status in (408, 429) or status >= 500:
        return f"HTTP {status} {said}".strip(), False
    if status >= 400:
        return f"HTTP {status} {said}".strip(), True
    if payload is None and provider in CODE_REPLY_PROVIDERS:
        return f"HTTP {status} with a reply that is not JSON", False
    if code is not None and code != 0:
        return f"rejected ({said})", True
    if provider in CODE_REPLY_PROVIDERS and code is None:
        return f"HTTP {status} without a result code", False
    return None


def is_public(url: str) -> bool:
    """True when every address the URL's host resolves to is on the public internet."""
    host = urlsplit(url).hostname
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_global and not a.is_multicast for a in addresses)


def post(
    provider: str,
    url: str,
    secret: str,
    message: ChatMessage,
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
    client: httpx.Client | None = None,
    allow_private: bool = True,
) -> None:
    """Send one message. Returns on success; raises DeliveryError otherwise. Unless
    ``allow_private``, a URL whose host resolves to a private, loopback or link-local
    address is refused (no requests into the company's own network)."""
    where = f"{provider} {_where(url)}"

    def fail(problem: str, *, permanent: bool) -> DeliveryError:
        # Scrub before shortening, so a cut can never leave half a secret behind.
        problem = " ".join(_scrub(problem, url, secret).split())[:200]
        return DeliveryError(f"{where}: {problem}", permanent=permanent)

    try:
        target, body, headers = build_request(provider, url, secret, message)
    except ValueError as exc:
        raise fail(str(exc), permanent=True) from None
    if not allow_private and not is_public(url):
        raise fail("the address is inside a private network", permanent=True)
    timeout = httpx.Timeout(
        connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
    )
    own_client = client is None
    http = httpx.Client(follow_redirects=False) if own_client else client
    try:
        with http.stream(
            "POST", target, content=body, headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= MAX_RESPONSE_BYTES:
                    break
            status = response.status_code
    except httpx.TimeoutException as exc:
        raise fail(f"timed out ({type(exc).__name__})", permanent=False) from None
    except httpx.UnsupportedProtocol:
        raise fail("not an http(s) URL", permanent=True) from None
    except httpx.InvalidURL:
        raise fail("invalid URL", permanent=True) from None
    except httpx.RequestError as exc:
        raise fail(f"could not deliver ({type(exc).__name__})", permanent=False) from None
    finally:
        if own_client:
            http.close()
    problem = _check_reply(provider, status, raw)
    if problem is not None:
        raise fail(problem[0], permanent=problem[1])
