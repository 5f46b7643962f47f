"""citizen-feedback-bot: residents tell their municipality how they use a public service office."""
