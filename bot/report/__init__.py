"""The evidence for the consultation response: figures, themes, quotes and the Swedish report."""
