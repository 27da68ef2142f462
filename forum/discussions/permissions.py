"""Who may do what in discussions."""

from __future__ import annotations
