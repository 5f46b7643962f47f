"""The questionnaire: its definition, the rules of answering it, and what residents see."""
