"""Delivering notifications: one worker thread and one bounded queue per channel.

A receiver that hangs or errors only ever holds its own worker: evaluation hands a
notification over with a non-blocking ``put`` and moves on, and other channels have their
own threads. Every notification is logged (``pending``) in the store before the first
attempt and marked ``delivered``/``failed`` after, so a restart re-sends what was never
acknowledged — at-least-once delivery; receivers dedupe on ``X-Chainsight-Dedupe-Key``
(the body's ``dedupeKey``).

Attempts: ``timeout`` each (10 s default), up to ``max_retries`` retries with exponential
backoff (0.5 s, 1 s, 2 s …, capped at 30 s; a 429's ``Retry-After`` is honoured up to that
cap). Only a 2xx counts as delivered (Slack: only 200). After ``failure_threshold``
notifications in a row fail, the channel is flagged (``GET /api/v1/alerts/channels``).

Webhook signature: ``X-Chainsight-Signature: sha256=<hex HMAC-SHA256(secret, f"{ts}.{body}")>``
with ``X-Chainsight-Timestamp: <ts>`` (Unix seconds), so a receiver can refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel

from chainsight.storage import AlertStore, StorageError
from chainsight.storage.model import AlertNotification

from .egress import UnsafeTarget, check_url
from .rules import Channel

log = logging.getLogger("chainsight.alerts")

MAX_BACKOFF_S = 30.0
SIGNATURE_HEADER = "X-Chainsight-Signature"
TIMESTAMP_HEADER = "X-Chainsight-Timestamp"
DEDUPE_HEADER = "X-Chainsight-Dedupe-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value over ``timestamp + "." + body``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class ChannelHealth(BaseModel):
    """A channel's delivery counters, for the API and the dashboard."""

    name: str
    type: str
    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    queued: int = 0
    consecutive_failures: int = 0
    flagged: bool = False
    last_error: str | None = None
    last_delivered_at: datetime | None = None


class _Failure(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ChannelWorker:
    """Delivers one channel's notifications in order on its own thread."""

    channel: Channel
    alerts: AlertStore
    health: ChannelHealth = field(init=False)
    _queue: queue.Queue[AlertNotification] = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.health = ChannelHealth(name=self.channel.name, type=self.channel.type)
        self._queue = queue.Queue(maxsize=self.channel.queue_size)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"alerts-{self.channel.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop taking work; an attempt in flight ends within the channel's timeout."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain(self) -> list[AlertNotification]:
        """Take the notifications still queued (after ``stop``)."""
        out: list[AlertNotification] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def submit(self, notification: AlertNotification) -> bool:
        """Queue without blocking; a full queue drops (and logs) the notification."""
        try:
            self._queue.put_nowait(notification)
        except queue.Full:
            self.health.dropped += 1
            self._save(notification.model_copy(update={"delivery": "dropped"}))
            log.warning(
                "alert channel %s queue full; dropped %s", self.channel.name, notification.id
            )
            return False
        self.health.queued = self._queue.qsize()
        return True

    def _run(self) -> None:
        with httpx.Client(timeout=self.channel.timeout, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    notification = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                self.health.queued = self._queue.qsize()
                self._deliver(client, notification)

    def _save(self, notification: AlertNotification) -> None:
        try:
            self.alerts.put_notification(notification)
        except StorageError as exc:
            log.warning("cannot record notification %s: %s", notification.id, exc)

    def _deliver(self, client: httpx.Client, n: AlertNotification) -> None:
        error = ""
        for attempt in range(self.channel.max_retries + 1):
            if self._stop.is_set():
                return  # stays pending in the log: re-sent after restart
            try:
                self._send(client, n.body, n.id)
            except _Failure as exc:
                error = str(exc)
                n = n.model_copy(update={"attempts": n.attempts + 1, "last_error": error})
                self._save(n)
                if attempt < self.channel.max_retries:
                    delay = min(0.5 * 2**attempt, MAX_BACKOFF_S)
                    if exc.retry_after is not None:
                        delay = min(max(delay, exc.retry_after), MAX_BACKOFF_S)
                    self._stop.wait(delay)
                continue
            now = datetime.now(UTC)
            self._save(
                n.model_copy(
                    update={
                        "attempts": n.attempts + 1,
                        "delivery": "delivered",
                        "delivered_at": now,
                        "last_error": None,
                    }
                )
            )
            h = self.health
            h.delivered += 1
            h.consecutive_failures = 0
            h.flagged = False
            h.last_delivered_at = now
            return
        self._save(n.model_copy(update={"delivery": "failed"}))
        h = self.health
        h.failed += 1
        h.consecutive_failures += 1
        h.last_error = error
        if h.consecutive_failures >= self.channel.failure_threshold and not h.flagged:
            h.flagged = True
            log.error(
                "alert channel %s flagged: %d notifications in a row failed (last: %s)",
                self.channel.name,
                h.consecutive_failures,
                error,
            )

    def _send(self, client: httpx.Client, body: str, dedupe: str) -> None:
        c = self.channel
        if c.type == "log":
            log.warning("%s", body)
            return
        if c.url is None:
            raise _Failure("channel has no url")
        try:
            check_url(c.url, c.allow_private)
        except UnsafeTarget as exc:
            raise _Failure(f"refused target: {exc}") from exc
        data = body.encode("utf-8")
        headers = {"content-type": "application/json", DEDUPE_HEADER: dedupe}
        if c.type == "webhook" and c.secret_env:
            secret = os.environ.get(c.secret_env)
            if secret:
                ts = str(int(time.time()))
                headers[TIMESTAMP_HEADER] = ts
                headers[SIGNATURE_HEADER] = sign(secret, ts, data)
        try:
            response = client.post(c.url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            raise _Failure(f"{type(exc).__name__}: {exc}") from exc
        ok = response.status_code == 200 if c.type == "slack" else response.is_success
        if ok:
            return
        retry_after: float | None = None
        if response.status_code == 429:
            try:
                retry_after = float(response.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
        if response.is_redirect:
            raise _Failure(f"redirect to {response.headers.get('location')} not followed")
        raise _Failure(f"receiver answered {response.status_code}", retry_after)


class Dispatcher:
    """The channel workers of a collector, rebuilt when the channels' definitions change."""

    def __init__(self, alerts: AlertStore) -> None:
        self._alerts = alerts
        self._workers: dict[str, ChannelWorker] = {}
        self._lock = threading.Lock()

    def configure(self, channels: list[Channel]) -> None:
        """Start workers for new or changed channels; stop those removed or changed."""
        wanted = {c.name: c for c in channels}
        with self._lock:
            carried: list[AlertNotification] = []
            for name, worker in list(self._workers.items()):
                if wanted.get(name) != worker.channel:
                    worker.stop(timeout=0.2)
                    carried += worker.drain()
                    del self._workers[name]
            for name, channel in wanted.items():
                if name not in self._workers:
                    worker = ChannelWorker(channel, self._alerts)
                    worker.start()
                    self._workers[name] = worker
        for notification in carried:  # a changed channel keeps its queued messages
            self.submit(notification)

    def submit(self, notification: AlertNotification) -> bool:
        with self._lock:
            worker = self._workers.get(notification.channel)
        if worker is None:
            log.warning("no channel %s for notification %s", notification.channel, notification.id)
            return False
        return worker.submit(notification)

    def health(self) -> list[ChannelHealth]:
        with self._lock:
            return [w.health.model_copy() for w in self._workers.values()]

    def stop(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop()
