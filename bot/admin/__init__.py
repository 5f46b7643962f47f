"""What staff get in chat: the admin service, its chat views, the CSV export and demo data."""
