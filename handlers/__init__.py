"""Telegram handlers: thin functions that parse an update, call a service and reply."""

from __future__ import annotations

from telegram import Message
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import admin, resident
from handlers.errors import on_error

RESIDENT_COMMANDS = ("start", "language", "mydata", "delete", "cancel", "help")


class _FromPerson(filters.MessageFilter):
    """Messages from people; other bots are not residents and get no answer."""

    def filter(self, message: Message) -> bool:
        return message.from_user is None or not message.from_user.is_bot


FROM_PERSON = _FromPerson(name="FROM_PERSON")


def register(application: Application) -> None:
    """Attach every handler to the application, in the order they are tried."""
    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED & FROM_PERSON
    commands: dict[str, admin.Handler] = {
        "start": resident.start,
        "language": resident.change_language,
        "mydata": resident.my_data,
        "delete": resident.delete_data,
        "cancel": resident.cancel,
        "help": resident.show_help,
    }
    # Admin commands check the sender themselves: to others they answer as unknown commands.
    commands |= {
        "summary": admin.summary,
        "stats": admin.stats,
        "export": admin.export,
        "report": admin.report,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    application.add_handler(CallbackQueryHandler(resident.on_button))
    application.add_handler(MessageHandler(private & filters.COMMAND, resident.on_unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT, resident.on_text))
    application.add_handler(
        MessageHandler(private & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE), resident.on_voice)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.EDITED & FROM_PERSON, resident.on_edited)
    )
    application.add_handler(MessageHandler(private, resident.on_other_message))
    application.add_handler(
        MessageHandler(
            (filters.ChatType.GROUPS | filters.ChatType.CHANNEL) & ~filters.UpdateType.EDITED,
            resident.on_group_message,
        )
    )
    application.add_error_handler(on_error)
