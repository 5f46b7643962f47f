"""Protecting respondents: scrubbing, pseudonyms, retention and small-count suppression."""
