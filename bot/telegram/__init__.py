"""Talking to Telegram: retried requests, per-resident ordering, flood control and webhooks."""
