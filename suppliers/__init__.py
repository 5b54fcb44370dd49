"""Supplier companies: registration, verification, licences and categories, debarment."""
