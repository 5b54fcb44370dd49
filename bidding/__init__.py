"""Tender registration, opening keys and shares, sealed envelopes, submission,
receipts, withdrawal and the opening ceremony."""
