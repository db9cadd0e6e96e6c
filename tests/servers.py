"""Local stand-ins for the servers outside the project: a mail server, a chat webhook and
a private Redis. Each runs for real on 127.0.0.1 (the code under test opens real
sockets), records what it received and can be told how to answer.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from django.utils import timezone

# aiosmtpd logs every SMTP command at INFO; only its problems matter here.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy or ``timeout`` seconds pass;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- SMTP -----------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    message: email.message.EmailMessage
    recipients: list[str]
    at: object  # an aware datetime: when the server accepted it

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()


class FakeSMTP:
    """An aiosmtpd server that keeps every message it accepts.

    ``refuse("451 4.3.0 Try again later")`` answers every message's DATA with that reply
    instead of accepting it; ``stall()`` holds the answer to DATA until ``release()``.
    A client that hangs up while held is counted in ``abandoned`` and its message is not
    kept, as a real server would not deliver it.
    """

    def __init__(self):
        self.port = free_port()
        self.messages: list[ReceivedMail] = []
        self.data_commands = 0
        self.abandoned = 0
        self._reply: str | None = None
        self._stalled = threading.Event()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse(self, reply: str | None) -> None:
        self._reply = reply

    def stall(self) -> None:
        self._stalled.set()

    def release(self) -> None:
        self._stalled.clear()

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        try:
            while self._stalled.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.abandoned += 1
            raise
        if self._reply:
            return self._reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(ReceivedMail(message, list(envelope.rcpt_tos), timezone.now()))
        return "250 2.0.0 Queued"

    def start(self) -> FakeSMTP:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._stalled.clear()
        self._controller.stop()


# --- HTTP webhook ---------------------------------------------------------------------


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class FakeWebhook:
    """A threaded HTTP server that records every POST and answers each with
    ``status``/``body`` (change them between requests to script a conversation)."""

    status: int = 200
    body: str = "ok"
    posts: list[Posted] = field(default_factory=list)

    def __post_init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                size = int(self.headers.get("Content-Length") or 0)
                owner.posts.append(Posted(self.path, dict(self.headers), self.rfile.read(size)))
                reply = owner.body.encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(self, status: int, body: str | dict = "ok") -> None:
        self.status = status
        self.body = json.dumps(body) if isinstance(body, dict) else body

    def start(self) -> FakeWebhook:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- Redis ----------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` that keeps nothing on disk; stop it and start it again
    on the same port to play a broker outage."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(
            [binary, *options, "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10), f"redis-server did not start on {self.port}"
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
