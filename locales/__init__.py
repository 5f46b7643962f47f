"""The message catalogues and theme keyword lists, installed as the package ``bot.locales``.

Translators work on the files here; this module only makes the folder importable, so that an
editable install finds the catalogues where an installed wheel has them.
"""
