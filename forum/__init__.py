"""Forum: threaded discussions for published articles, and a home for discussion groups."""

from forum.app import create_app

__all__ = ["create_app"]
