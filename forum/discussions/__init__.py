"""Threaded discussions: posts, replies at any depth, revisions, votes and follows."""
