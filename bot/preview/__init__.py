"""Trying the bot without Telegram: a chat page and a built-in Bot API on 127.0.0.1."""
