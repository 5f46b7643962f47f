"""`python -m bot` as a real process against a Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import csv
import signal
import sys
from pathlib import Path

from bench.residents import ScriptedResident
from bot.preview.botapi import LocalBotApi
from tests.support import TOKEN, bot_environment, run_bot_process

PROJECT = Path(__file__).resolve().parent.parent


async def test_one_resident_through_the_real_process_then_export(tmp_path: Path) -> None:
    async with LocalBotApi(token=TOKEN) as api:
        env = bot_environment(api, tmp_path / "e2e.sqlite3")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        failure: BaseException | None = None
        try:
            resident = ScriptedResident(api, 5001, timeout=20)
            await resident.run(story="Jag behöver tolk. Ring 070-123 45 67.")
        except (TimeoutError, AssertionError) as error:
            failure = error
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        log = stderr.decode()
        assert failure is None, f"{failure}\n--- bot log ---\n{log}"
        thanks = api.last_bot_message(5001)
        assert thanks is not None and "Tack för att du svarade" in thanks["text"]
        assert process.returncode == 0, log
        assert TOKEN not in log and TOKEN.split(":")[1] not in log
        assert "070-123" not in log

    # Key file created once beside the database, owner-only.
    key_file = tmp_path / "pseudonym.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600

    out = tmp_path / "export.csv"
    code, log = await run_bot_process(
        env,
        tmp_path,
        "export",
        "--format",
        "csv",
        "--out",
        str(out),
        "--stories",
        str(tmp_path / "stories.csv"),
    )
    assert code == 0, log
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    row = rows[0]
    assert row["state"] == "completed" and row["language"] == "sv"
    assert row["agencies"] == "fk" and row["visits"] == "12_plus" and row["age_group"] == "16_24"
    # The earlier version's questions are columns too; this resident was not asked them.
    assert row["frequency"] == "not_asked"
    assert row["story"] == "text" and "tolk" not in out.read_text(encoding="utf-8")
    with (tmp_path / "stories.csv").open(encoding="utf-8", newline="") as handle:
        (story,) = list(csv.DictReader(handle))
    assert story["response"] == row["response"] and story["story_text"] == "Jag behöver tolk. Ring [telefon]."
    assert "respondent" not in row and not any("5001" in value for value in row.values())
