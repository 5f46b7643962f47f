"""gettext catalogues for residents and staff, and how complete each translation is."""
