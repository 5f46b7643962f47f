"""Telegram handlers: thin functions that parse an update, call a service and reply."""

from __future__ import annotations

from telegram import Message
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import admin, resident
from handlers.errors import on_error

RESIDENT_COMMANDS = ("start", "language", "mydata", "delete", "cancel", "help")


class _FromPerson(filters.MessageFilter):
    """Messages a person sent as themselves. Other bots are not residents, and a message without a
    sender (posted on behalf of a channel or by an anonymous admin) belongs to no resident."""

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and not message.from_user.is_bot


FROM_PERSON = _FromPerson(name="FROM_PERSON")

# Only a person's own private chat with the bot is a resident's conversation. The update types are
# named rather than excluded: business, guest and channel messages also carry a message, and none of
# them may ever reach a handler that stores answers. Groups and channels get no answer at all.
PRIVATE = filters.ChatType.PRIVATE & FROM_PERSON
NEW_MESSAGE = filters.UpdateType.MESSAGE & PRIVATE
EDITED_MESSAGE = filters.UpdateType.EDITED_MESSAGE & PRIVATE


def register(application: Application) -> None:
    """Attach every handler to the application, in the order they are tried."""
    # Forwarded messages come first: someone else's words are never a story, nor a command.
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.FORWARDED, resident.on_forwarded))
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
        "quotes": admin.quotes,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGE))
    # An admin's decisions on quotes; to anyone else these buttons are as unknown as any other.
    application.add_handler(CallbackQueryHandler(admin.on_quote_button, pattern=r"^qr:"))
    # The buttons under /stats, the same way.
    application.add_handler(CallbackQueryHandler(admin.on_stats_button, pattern=r"^st:"))
    # Button presses outside a private chat are turned away inside the handler.
    application.add_handler(CallbackQueryHandler(resident.on_button))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, resident.on_unknown_command))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.TEXT, resident.on_text))
    # Only a voice note recorded in Telegram is a spoken story. An audio file may be anyone's
    # recording (a song, someone else's interview); a round video note shows the resident's face,
    # far more identifying than a voice, and the story question offers text or voice only.
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.VOICE, resident.on_voice))
    application.add_handler(MessageHandler(EDITED_MESSAGE, resident.on_edited))
    application.add_handler(MessageHandler(NEW_MESSAGE, resident.on_other_message))
    # Before everything else: an admin's message that is a quote's new words, after Redigera.
    # It stops there; every other message passes on to the handlers above.
    typed = NEW_MESSAGE & filters.TEXT & ~filters.COMMAND & ~filters.FORWARDED
    application.add_handler(MessageHandler(typed, admin.on_quote_text), group=-1)
    application.add_error_handler(on_error)
