"""Who may open the app: off by default on localhost, required on any other address unless
the operator says --no-auth in so many words."""
from __future__ import annotations

import ipaddress
from pathlib import Path

from ingest.oserror import os_reason

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class AccessError(Exception):
    pass


def is_local(host: str) -> bool:
    h = host.strip().strip("[]").lower()
    if h in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def parse_pair(spec: str, where: str = "--auth") -> tuple[str, str]:
    user, sep, password = spec.partition(":")
    if not sep or not user.strip() or not password:
        raise AccessError(f"{where}: cần dạng 'tên:mật_khẩu', nhận được {spec!r}")
    return user.strip(), password


def read_auth_file(path: Path) -> list[tuple[str, str]]:
    """One 'user:password' per line; blank lines and lines starting with '#' are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AccessError(f"--auth-file {path}: {os_reason(exc)}") from exc
    pairs = [parse_pair(line.strip(), f"{path}:{i}") for i, line in enumerate(lines, 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not pairs:
        raise AccessError(f"--auth-file {path}: không có dòng 'tên:mật_khẩu' nào")
    return pairs


def resolve(host: str, auth: str | None = None, auth_file: Path | None = None,
            no_auth: bool = False) -> list[tuple[str, str]] | None:
    """The logins ``launch`` should require, or None for an open app."""
    if no_auth and (auth or auth_file):
        raise AccessError("không dùng --no-auth cùng với --auth hoặc --auth-file")
    pairs: list[tuple[str, str]] = []
    if auth:
        pairs.append(parse_pair(auth))
    if auth_file:
        pairs.extend(read_auth_file(auth_file))
    if pairs:
        return pairs
    if is_local(host) or no_auth:
        return None
    raise AccessError(f"--host {host} cho phép máy khác truy cập: hãy thêm --auth tên:mật_khẩu hoặc "
                      "--auth-file TỆP, hoặc --no-auth nếu cố ý mở ứng dụng không cần đăng nhập")


class LoginThrottle:
    """ASGI middleware that slows down repeated failed logins from one client address.

    The first ``free`` failures cost nothing; each further one waits ``base`` seconds, doubled
    per failure up to ``cap``, before it is even checked. Attempts from one address are taken
    one at a time, so a burst queues behind the delays instead of running in parallel. A
    success, or ``window`` seconds without a failure, forgets the address. Behind a reverse
    proxy every user shares the proxy's address (and its throttle)."""

    def __init__(self, app, free: int = 3, base: float = 1.0, cap: float = 30.0, window: float = 900.0,
                 sleep=None, clock=None):
        import asyncio
        import time

        self.app = app
        self.free, self.base, self.cap, self.window = free, base, cap, window
        self._sleep = sleep or asyncio.sleep
        self._clock = clock or time.monotonic
        self._failures: dict[str, tuple[int, float]] = {}  # address -> (failures, time of the last)
        self._locks: dict[str, object] = {}

    def delay(self, client: str) -> float:
        n, last = self._failures.get(client, (0, 0.0))
        if n and self._clock() - last > self.window:
            self._failures.pop(client, None)
            n = 0
        return 0.0 if n < self.free else min(self.cap, self.base * 2 ** (n - self.free))

    def record(self, client: str, ok: bool) -> None:
        if ok:
            self._failures.pop(client, None)
            return
        now = self._clock()
        if len(self._failures) > 10_000 or len(self._locks) > 10_000:  # forget addresses past their window
            self._failures = {c: v for c, v in self._failures.items() if now - v[1] <= self.window}
            self._locks = {c: lk for c, lk in self._locks.items() if c in self._failures or lk.locked()}
        self._failures[client] = (self._failures.get(client, (0, 0.0))[0] + 1, now)

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") != "POST" \
                or not scope.get("path", "").rstrip("/").endswith("/login"):
            return await self.app(scope, receive, send)
        import asyncio

        client = (scope.get("client") or ("?",))[0]
        lock = self._locks.setdefault(client, asyncio.Lock())
        async with lock:
            delay = self.delay(client)
            if delay:
                await self._sleep(delay)
            status: list[int] = []

            async def watch(message):
                if message["type"] == "http.response.start":  # recorded before the client can see the answer
                    status.append(message["status"])
                    self.record(client, ok=message["status"] < 400)
                await send(message)

            await self.app(scope, receive, watch)
            if not status:  # no answer at all: a failure
                self.record(client, ok=False)


def throttled_app_kwargs() -> dict:
    """FastAPI arguments that put LoginThrottle in front of the app (gradio's ``app_kwargs``)."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(LoginThrottle)]}
