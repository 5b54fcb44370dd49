"""Invoices, payment orders, the payment gateway interface and the ledger."""
