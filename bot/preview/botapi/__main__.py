"""``python -m bot.preview.botapi``: serve the fake Bot API on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.preview.botapi import LocalBotApi


async def _serve(port: int, token: str, bot_username: str) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            # Graceful stop on Ctrl-C and on SIGTERM from a process manager.
            loop.add_signal_handler(signum, stopping.set)
        except (NotImplementedError, RuntimeError):  # e.g. Windows: KeyboardInterrupt instead
            pass
    async with LocalBotApi(port=port, token=token, bot_username=bot_username) as api:
        print(f"Local Bot API running. base_url={api.base_url} base_file_url={api.base_file_url}")
        print(f"Token: {api.token}   (Ctrl-C to stop)", flush=True)
        await stopping.wait()
    print("Local Bot API stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: serve on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:LOCAL-TEST-TOKEN")
    parser.add_argument("--bot-username", default="citizen_feedback_bot")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.token, args.bot_username))


if __name__ == "__main__":
    main()
