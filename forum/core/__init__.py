"""Mechanisms every domain shares: database helpers, errors, text, mail, pagination, time."""
