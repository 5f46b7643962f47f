"""The optional liveness and Prometheus endpoint of a running bot."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import urllib.request
from pathlib import Path

from bench.residents import ScriptedResident
from bot.metrics import Metrics
from bot.preview.botapi import LocalBotApi
from tests.support import TOKEN, bot_environment
from tests.test_webhook import free_port


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def value(exposition: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", exposition, re.M)
    assert match, name
    return float(match.group(1))


async def test_metrics_of_a_running_bot(tmp_path: Path) -> None:
    port = free_port()
    async with LocalBotApi(token=TOKEN) as api:
        env = bot_environment(api, tmp_path / "m.sqlite3", METRICS_PORT=str(port))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await ScriptedResident(api, 8201, timeout=20).run()
            # Another resident floods: all but the first few messages are refused unhandled.
            for n in range(20):
                await api.send_message(8202, f"hej {n}")
            await api.wait_until_idle(timeout=10, quiet=0.3)
            status, live = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/healthz")
            assert status == 200 and live == "ok\n"
            _, text = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/metrics")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert value(text, "citizen_feedback_updates_handled_total") >= 17
    assert value(text, 'citizen_feedback_responses{state="completed"}') == 1
    assert value(text, 'citizen_feedback_responses{state="started"}') == 1
    assert value(text, "citizen_feedback_errors_total") == 0
    assert 10 <= value(text, "citizen_feedback_updates_dropped_total") <= 19
    count = value(text, "citizen_feedback_reply_seconds_count")
    assert count == value(text, "citizen_feedback_updates_handled_total")
    assert value(text, 'citizen_feedback_reply_seconds_bucket{le="+Inf"}') == count
    assert "8201" not in text and "8202" not in text


def test_latency_histogram_is_cumulative() -> None:
    metrics = Metrics()
    for seconds in (0.005, 0.02, 0.02, 3.0, 60.0):
        metrics.observe_update(seconds)
    text = metrics.render(3, 2)
    assert value(text, 'citizen_feedback_reply_seconds_bucket{le="0.01"}') == 1
    assert value(text, 'citizen_feedback_reply_seconds_bucket{le="0.025"}') == 3
    assert value(text, 'citizen_feedback_reply_seconds_bucket{le="5.0"}') == 4
    assert value(text, 'citizen_feedback_reply_seconds_bucket{le="+Inf"}') == 5
    assert abs(value(text, "citizen_feedback_reply_seconds_sum") - 63.045) < 1e-6
