"""An optional HTTP endpoint for whoever is on call: liveness and Prometheus-format metrics.

Off unless METRICS_PORT is set. Counts only: nothing about any resident.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field

from aiohttp import web

from storage.interface import ResponseStore

# Reply latency buckets in seconds (Prometheus histogram "le" bounds).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Counters kept in memory by this process since it started."""

    updates_handled: int = 0
    # Refused by flood control before any handler ran (a resident sending too fast).
    updates_dropped: int = 0
    # Updates the library could not read, skipped (bot/telegram/reading.py).
    updates_unreadable: int = 0
    errors: int = 0
    latency_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    latency_sum: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def count_unreadable(self) -> None:
        self.updates_unreadable += 1

    def observe_update(self, seconds: float) -> None:
        """One update handled, from arrival to the end of its handler (its reply sent)."""
        self.updates_handled += 1
        self.latency_sum += seconds
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def render(self, started_responses: int, completed_responses: int) -> str:
        lines = [
            "# HELP citizen_feedback_updates_handled_total Telegram updates handled by this process.",
            "# TYPE citizen_feedback_updates_handled_total counter",
            f"citizen_feedback_updates_handled_total {self.updates_handled}",
            "# HELP citizen_feedback_updates_dropped_total Updates refused by flood control, unhandled.",
            "# TYPE citizen_feedback_updates_dropped_total counter",
            f"citizen_feedback_updates_dropped_total {self.updates_dropped}",
            "# HELP citizen_feedback_updates_unreadable_total Updates the library could not read, skipped.",
            "# TYPE citizen_feedback_updates_unreadable_total counter",
            f"citizen_feedback_updates_unreadable_total {self.updates_unreadable}",
            "# HELP citizen_feedback_errors_total Updates whose handling ended in an error.",
            "# TYPE citizen_feedback_errors_total counter",
            f"citizen_feedback_errors_total {self.errors}",
            "# HELP citizen_feedback_responses Responses in the database (after retention).",
            "# TYPE citizen_feedback_responses gauge",
            f'citizen_feedback_responses{{state="started"}} {started_responses}',
            f'citizen_feedback_responses{{state="completed"}} {completed_responses}',
            "# HELP citizen_feedback_reply_seconds Time from an update's arrival to its reply.",
            "# TYPE citizen_feedback_reply_seconds histogram",
        ]
        cumulative = 0
        for bound, count in zip(LATENCY_BUCKETS, self.latency_counts, strict=False):
            cumulative += count
            lines.append(f'citizen_feedback_reply_seconds_bucket{{le="{bound}"}} {cumulative}')
        lines.append(f'citizen_feedback_reply_seconds_bucket{{le="+Inf"}} {self.updates_handled}')
        lines.append(f"citizen_feedback_reply_seconds_sum {self.latency_sum:.6f}")
        lines.append(f"citizen_feedback_reply_seconds_count {self.updates_handled}")
        lines.append("# HELP citizen_feedback_uptime_seconds Seconds since this process started.")
        lines.append("# TYPE citizen_feedback_uptime_seconds gauge")
        lines.append(f"citizen_feedback_uptime_seconds {time.monotonic() - self.started:.0f}")
        return "\n".join(lines) + "\n"


def metrics_app(metrics: Metrics, repository: ResponseStore, survey_id: str) -> web.Application:
    async def live(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def exposition(request: web.Request) -> web.Response:
        started, completed = await repository.count_by_state(survey_id)
        return web.Response(
            text=metrics.render(started, completed), content_type="text/plain", charset="utf-8"
        )

    app = web.Application()
    app.router.add_get("/healthz", live)
    app.router.add_get("/metrics", exposition)
    return app
