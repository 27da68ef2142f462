"""Pages of a select: the items of one page and what the page links need."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import Select, func, select

from forum.extensions import db


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(value: Any) -> int:
    """A page number from the query string; anything odd means the first page."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, 1_000_000))


def paginate(statement: Select, number: int, per_page: int, scalars: bool = True) -> Page:
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = db.session.execute(statement.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, number=number, per_page=per_page, total=total or 0)
