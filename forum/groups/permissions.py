"""Who may do what with groups."""

from __future__ import annotations
