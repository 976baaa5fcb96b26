"""Provided utilities of assignment a3 (dependency parsing)."""
