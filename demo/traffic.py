"""The demo's timeline: who asks what, when, and when the story's two incidents happen.

A seeded plan of sessions (several users, each on the model of their plan tier, one to three
turns each) is spread over ``duration``; between 45% and 80% of it the bundled server's
first-token latency is multiplied (an upstream regression the TTFT alert catches), and from
60% on new sessions ask in Spanish (an input shift the Drift page catches).
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import openai

import chainsight

from .answers import FOLLOW_UPS_EN, FOLLOW_UPS_ES, QUESTIONS_EN, QUESTIONS_ES
from .support_bot import SupportBot

USERS = {
    "u-alice": "gpt-4o",
    "u-bob": "gpt-4o-mini",
    "u-carmen": "gpt-4.1-mini",
    "u-dmitri": "gpt-4o-mini",
    "u-eve": "gpt-4o",
    "u-farid": "gpt-4.1-mini",
}
"""End users and the model their plan tier gets (different prices per token)."""
REGRESSION = (0.45, 0.80)
"""Share of the run during which the upstream is slow."""
REGRESSION_FACTOR = 9.0
"""First-token latency multiplier during the regression."""
LANGUAGE_SHIFT = 0.60
"""Share of the run after which new sessions are Spanish-speaking."""
THINK_S = (1.0, 3.0)
"""Pause between a user's turns."""
MAX_CONCURRENT_SESSIONS = 128
"""Threads playing sessions at once (a session mostly waits on the model server)."""


@dataclass(frozen=True, slots=True)
class Session:
    """One planned conversation."""

    at_s: float
    session_id: str
    user_id: str
    model: str
    questions: tuple[str, ...]
    spanish: bool


@dataclass
class RunReport:
    """What happened, with wall-clock marks the tests and docs/demo.md refer to."""

    started: str = ""
    ended: str = ""
    regression_start: str = ""
    regression_end: str = ""
    language_shift: str = ""
    turns: int = 0
    failed_turns: int = 0
    sessions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "ended": self.ended,
            "regression_start": self.regression_start,
            "regression_end": self.regression_end,
            "language_shift": self.language_shift,
            "turns": self.turns,
            "failed_turns": self.failed_turns,
            "sessions": self.sessions,
        }


def plan(duration_s: float, rate_per_s: float, seed: int) -> list[Session]:
    """Sessions whose turns add up to about ``duration_s * rate_per_s`` requests."""
    rng = random.Random(seed)
    target = max(1, round(duration_s * rate_per_s))
    sessions: list[Session] = []
    turns = 0
    while turns < target:
        n = min(rng.choice((1, 2, 2, 3)), target - turns)
        # Sessions start early enough that their last turn fits in the run.
        at = rng.uniform(0.0, max(0.0, duration_s - n * THINK_S[1]))
        sessions.append(_session(at, n, len(sessions), duration_s, rng))
        turns += n
    sessions.sort(key=lambda s: s.at_s)
    return sessions


def _session(at: float, n: int, index: int, duration_s: float, rng: random.Random) -> Session:
    user = rng.choice(sorted(USERS))
    spanish = at >= LANGUAGE_SHIFT * duration_s
    pool, follow = (QUESTIONS_ES, FOLLOW_UPS_ES) if spanish else (QUESTIONS_EN, FOLLOW_UPS_EN)
    first = rng.choice(pool).format(n=rng.randint(10000, 99999))
    questions = (first, *rng.sample(follow, k=min(n - 1, len(follow))))
    return Session(at, f"s-{index:04d}", user, USERS[user], questions, spanish)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def run(
    bot: SupportBot,
    sessions: list[Session],
    *,
    duration_s: float,
    set_latency: Callable[[float], None],
    seed: int,
    on_turn: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """Play the plan in real time (bounded by ``duration_s`` plus the last turns' calls)."""
    report = RunReport(started=_now(), sessions=len(sessions))
    lock = threading.Lock()
    start = time.monotonic()
    rngs = {s.session_id: random.Random(f"{seed}|{s.session_id}") for s in sessions}
    stopping = threading.Event()

    def play(session: Session) -> None:
        history: list[dict[str, Any]] = []
        with chainsight.context(
            session_id=session.session_id,
            user_id=session.user_id,
            tags=["es" if session.spanish else "en"],
        ):
            for index, question in enumerate(session.questions):
                if index and stopping.wait(rngs[session.session_id].uniform(*THINK_S)):
                    return  # the demo is being stopped: no further turns
                ok = True
                try:
                    text = bot.answer(history, question, session.model)
                    history += [
                        {"role": "user", "content": question},
                        {"role": "assistant", "content": text},
                    ]
                except openai.APIError:
                    ok = False  # recorded on the span as an error; the user gives up
                with lock:
                    report.turns += 1
                    report.failed_turns += 0 if ok else 1
                    if on_turn is not None:
                        on_turn(report)
                if not ok:
                    return
            if len(history) >= 4:
                # A failed summary is on its span; nothing else depends on it.
                with contextlib.suppress(openai.APIError):
                    bot.summarize(history)

    regression = [REGRESSION[0] * duration_s, REGRESSION[1] * duration_s]
    # A thread per session (up to MAX_CONCURRENT_SESSIONS): sessions start when the plan
    # says, never queued behind slow ones, so the story's marks stay on the clock.
    workers = max(1, min(len(sessions), MAX_CONCURRENT_SESSIONS))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="demo-session")
    try:
        futures = []
        for session in sessions:
            _advance(start, session.at_s, regression, report, set_latency, duration_s)
            futures.append(pool.submit(play, session))
        _advance(start, duration_s, regression, report, set_latency, duration_s)
        for future in futures:
            future.result()
    finally:
        # After a normal end every session is done; on Ctrl-C/SIGTERM the sessions stop at
        # their next turn and the calls in flight end within the client's timeout.
        stopping.set()
        pool.shutdown(wait=True, cancel_futures=True)
    if report.regression_start and not report.regression_end:
        set_latency(1.0)
        report.regression_end = _now()
    report.ended = _now()
    return report


def _advance(  # noqa: PLR0917  # the loop's state, passed on
    start: float,
    until_s: float,
    regression: list[float],
    report: RunReport,
    set_latency: Callable[[float], None],
    duration_s: float,
) -> None:
    """Sleep until ``until_s`` into the run, flipping the incidents on and off on the way."""
    while True:
        elapsed = time.monotonic() - start
        if not report.regression_start and elapsed >= regression[0]:
            set_latency(REGRESSION_FACTOR)
            report.regression_start = _now()
        if report.regression_start and not report.regression_end and elapsed >= regression[1]:
            set_latency(1.0)
            report.regression_end = _now()
        if not report.language_shift and elapsed >= LANGUAGE_SHIFT * duration_s:
            report.language_shift = _now()
        if elapsed >= until_s:
            return
        next_mark = min(
            [m for m in (*regression, LANGUAGE_SHIFT * duration_s) if m > elapsed] + [until_s]
        )
        time.sleep(min(0.5, max(0.0, next_mark - elapsed)))
