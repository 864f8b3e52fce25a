"""Per-project API keys: format, hashing, verification and the open-mode rule.

A key looks like ``cs_<id>_<secret>``: ``id`` (12 hex chars) names the stored row so a
lookup is one indexed read, ``secret`` is 192 random bits shown once at creation. Only
``HMAC-SHA256(salt, secret)`` with a random 16-byte per-key salt and a masked display
value are stored (through ``store.keys``).

Why a fast salted hash rather than scrypt/bcrypt: those slow functions protect
low-entropy *passwords* from guessing; a 192-bit random secret cannot be guessed whatever
the hash speed, while ingest verifies a key on every request (HMAC ≈ 1 µs, scrypt ≈ 50 ms
per request would cap ingest at a few dozen requests per second). Comparison is
constant-time (``hmac.compare_digest``).

Clients send ``Authorization: Bearer <key>``; the OTel exporters send exactly that with
``OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer <key>"``. A key writes and reads only
its project. With no active key the collector is open — allowed only on a loopback bind;
``check_bind`` refuses any other address unless ``allow_open_remote`` forces it, and a
non-loopback collector keeps requiring a key even after every key was revoked.

The first key: ``chainsight keys create --project NAME`` opens the store directly when
the collector is not running; when it is (the DuckDB file is locked by the collector
process), it calls ``POST /api/v1/keys`` on the configured host and port instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from chainsight.storage import KeyStore
from chainsight.storage.model import ApiKeyInfo, StoredKey

from .errors import ConfigurationError, Forbidden, Unauthorized
from .settings import Settings

KEY_PREFIX = "cs_"
_ID_CHARS = 12
_CACHE_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key bound to one project, or anyone (open mode, ``project=None``)."""

    project: str | None
    key_id: str | None = None

    def scope(self, requested: str | None) -> str | None:
        """The project a request may see: the key's own; asking for another is forbidden."""
        if self.project is None:
            return requested
        if requested not in (None, self.project):
            raise Forbidden(f"this API key belongs to project {self.project!r}")
        return self.project


OPEN = Principal(project=None)


def hash_secret(salt: bytes, secret: str) -> bytes:
    """The stored digest of a key's secret part."""
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).digest()


def parse_key(token: str) -> tuple[str, str] | None:
    """Split ``cs_<id>_<secret>`` into (id, secret); None when malformed."""
    if not token.startswith(KEY_PREFIX):
        return None
    rest = token[len(KEY_PREFIX) :]
    key_id, sep, secret = rest[:_ID_CHARS], rest[_ID_CHARS : _ID_CHARS + 1], rest[_ID_CHARS + 1 :]
    if sep != "_" or len(key_id) != _ID_CHARS or not secret:
        return None
    return key_id, secret


def new_key(project: str) -> tuple[str, StoredKey, str]:
    """A fresh key: (the secret to show once, the row to store, the masked display)."""
    key_id = secrets.token_hex(_ID_CHARS // 2)
    secret = secrets.token_urlsafe(24)
    salt = secrets.token_bytes(16)
    stored = StoredKey(
        id=key_id, project=project, salt=salt, hash=hash_secret(salt, secret), revoked=False
    )
    return f"{KEY_PREFIX}{key_id}_{secret}", stored, f"{KEY_PREFIX}{key_id}_****{secret[-4:]}"


def create_key(keys: KeyStore, project: str, name: str | None) -> tuple[str, ApiKeyInfo]:
    """Create and store a key; returns the secret (never stored) and its listing."""
    if not project.strip():
        raise ValueError("project must not be empty")
    token, stored, masked = new_key(project)
    return token, keys.add(stored, name, masked)


def check_bind(settings: Settings, any_keys: bool) -> None:
    """Refuse to serve without keys on a non-loopback address unless forced."""
    if not settings.is_loopback and not any_keys and not settings.allow_open_remote:
        raise ConfigurationError(
            f"refusing to listen on {settings.host} without API keys: anyone could write and "
            "read traces. Create a key first (chainsight keys create --project NAME), bind "
            "127.0.0.1, or pass --allow-open-remote (CHAINSIGHT_ALLOW_OPEN_REMOTE=1)."
        )


class Authenticator:
    """Verifies bearer tokens against ``store.keys``, caching lookups in memory.

    The cache is dropped on every create/revoke made through this object (the API); keys
    created by the CLI while the collector is down are seen after its restart.
    """

    def __init__(self, keys: KeyStore, *, require_keys: bool) -> None:
        self._keys = keys
        self._require = require_keys
        self._lock = threading.Lock()
        self._active: bool | None = None
        self._cache: dict[str, StoredKey | None] = {}

    @property
    def enabled(self) -> bool:
        """Whether requests must carry a key."""
        if self._require:
            return True
        with self._lock:
            active = self._active
        if active is None:
            active = self._keys.any_active()
            with self._lock:
                self._active = active
        return active

    def invalidate(self) -> None:
        with self._lock:
            self._active = None
            self._cache.clear()

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller for an ``Authorization`` header value; raises ``Unauthorized``."""
        if not self.enabled:
            return OPEN
        if not authorization:
            raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("expected 'Authorization: Bearer <key>'")
        parsed = parse_key(token.strip())
        if parsed is None:
            raise Unauthorized("malformed API key")
        key_id, secret = parsed
        stored = self._lookup(key_id)
        if stored is None or stored.revoked:
            raise Unauthorized("unknown or revoked API key")
        if not hmac.compare_digest(stored.hash, hash_secret(stored.salt, secret)):
            raise Unauthorized("unknown or revoked API key")
        return Principal(project=stored.project, key_id=stored.id)

    def _lookup(self, key_id: str) -> StoredKey | None:
        with self._lock:
            if key_id in self._cache:
                return self._cache[key_id]
        stored = self._keys.lookup(key_id)
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key_id] = stored
        return stored

    def create(self, project: str, name: str | None) -> tuple[str, ApiKeyInfo]:
        token, info = create_key(self._keys, project, name)
        self.invalidate()
        return token, info

    def revoke(self, key_id: str) -> bool:
        revoked = self._keys.revoke(key_id)
        self.invalidate()
        return revoked

    def list(self, project: str | None) -> list[ApiKeyInfo]:
        return self._keys.list(project)
