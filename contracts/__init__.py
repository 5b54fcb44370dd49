"""Contract generation, signing by both parties, amendments, deliveries and inspection."""
