"""Synthetic partner exports for tests and demos (`wijkhub generate`); invented data only."""
