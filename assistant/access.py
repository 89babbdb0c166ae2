"""Who may open the app: off by default on localhost, required on any other address unless
the operator says --no-auth in so many words."""
from __future__ import annotations

import ipaddress
from pathlib import Path

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
        raise AccessError(f"{where}: expected 'user:password', got {spec!r}")
    return user.strip(), password


def read_auth_file(path: Path) -> list[tuple[str, str]]:
    """One 'user:password' per line; blank lines and lines starting with '#' are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AccessError(f"--auth-file {path}: cannot read ({exc.strerror})") from exc
    pairs = [parse_pair(line.strip(), f"{path}:{i}") for i, line in enumerate(lines, 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not pairs:
        raise AccessError(f"--auth-file {path}: no 'user:password' line")
    return pairs


def resolve(host: str, auth: str | None = None, auth_file: Path | None = None,
            no_auth: bool = False) -> list[tuple[str, str]] | None:
    """The logins ``launch`` should require, or None for an open app."""
    if no_auth and (auth or auth_file):
        raise AccessError("--no-auth cannot be combined with --auth or --auth-file")
    pairs: list[tuple[str, str]] = []
    if auth:
        pairs.append(parse_pair(auth))
    if auth_file:
        pairs.extend(read_auth_file(auth_file))
    if pairs:
        return pairs
    if is_local(host) or no_auth:
        return None
    raise AccessError(f"--host {host} is reachable from other machines: give --auth user:password or "
                      "--auth-file FILE, or --no-auth to serve it without login on purpose")
