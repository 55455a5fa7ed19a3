"""Staff login: tokens checked against the settings or sha256 hashes in `staff_tokens`; an HMAC-signed session
cookie; CSRF tokens derived from the session (or, before login, from a nonce cookie).

The signing secret is random, kept in `<data dir>/staff-session.key` (mode 0600) so sessions survive restarts;
when the data dir cannot be written, a per-process secret is used (sessions end with the process).
Plain tokens are never stored: the session cookie names the token's owner, not the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db import StaffToken
from unioncat.db.tables import utcnow
from unioncat.settings import Settings

log = logging.getLogger(__name__)

SESSION_COOKIE = "unioncat_staff"
LOGIN_COOKIE = "unioncat_login"
SESSION_SECONDS = 12 * 3600
KEY_FILE = "staff-session.key"
_secrets: dict[str, bytes] = {}


def session_secret(settings: Settings) -> bytes:
    key = str(Path(settings.data_dir).resolve())
    if key in _secrets:
        return _secrets[key]
    path = Path(settings.data_dir) / KEY_FILE
    secret = None
    try:
        if path.exists():
            secret = bytes.fromhex(path.read_text().strip())
        else:
            secret = os.urandom(32)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret.hex())
    except (OSError, ValueError) as exc:
        log.warning("staff session key not persisted (%s); sessions end with this process", exc)
        secret = secret if secret and len(secret) >= 32 else os.urandom(32)
    _secrets[key] = secret
    return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, purpose: str, value: str) -> str:
    return _b64(hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest())


def make_session(secret: bytes, user: str, now: float | None = None) -> str:
    payload = {"sub": user, "exp": int((now or time.time()) + SESSION_SECONDS), "nonce": secrets.token_hex(16)}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, 'session', body)}"


def read_session(secret: bytes, cookie: str | None, now: float | None = None) -> dict | None:
    """The session payload if the cookie is ours, intact and not expired; else None."""
    if not cookie or cookie.count(".") != 1 or len(cookie) > 4096:
        return None
    body, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(secret, "session", body)):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        return None
    if payload["exp"] < (now or time.time()):
        return None
    return payload


def csrf_token(secret: bytes, nonce: str) -> str:
    return _mac(secret, "csrf", nonce)


def csrf_ok(secret: bytes, nonce: str | None, given: str | None) -> bool:
    return bool(nonce and given) and hmac.compare_digest(csrf_token(secret, nonce), given)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def check_token(session: AsyncSession, settings: Settings, token: str) -> str | None:
    """The staff member's name if the token is valid (the settings token, or a hashed one in the database)."""
    token = (token or "").strip()
    if not token or len(token) > 1000:
        return None
    if settings.staff_token and hmac.compare_digest(settings.staff_token.encode(), token.encode()):
        return "staff"
    digest = token_hash(token)
    row = (await session.execute(select(StaffToken).where(StaffToken.token_hash == digest))).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    await session.execute(update(StaffToken).where(StaffToken.id == row.id).values(last_used_at=utcnow()))
    return row.name
