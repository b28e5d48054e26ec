"""Pages of a long list: `?page=` read and bounded, and one row more than a page fetched so the
pager knows whether there is a next page without counting.

    page = paging.page_arg()
    rows = paging.Page(page, db.session.scalars(q.offset(page.offset).limit(page.fetch)).all())
    render_template(..., rows=rows)          # {% for r in rows %} … {{ pager(rows) }}

templates/_macros/pager.html draws the pager (previous/next page, keeping the other query arguments).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import abort, request

#: Rows on one page of a list.
PAGE_SIZE = 50
#: The largest offset PostgreSQL's `integer` (and every driver) takes.
_MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class PageArg:
    number: int
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def fetch(self) -> int:
        """Rows to ask for: one more than a page, to know whether a next page exists."""
        return self.size + 1


def page_arg(name: str = "page", size: int = PAGE_SIZE) -> PageArg:
    """?page=<n>: missing or not a number → 1; a number below 1 → 1; beyond any possible offset → 400."""
    raw = request.args.get(name, "").strip()
    try:
        number = int(raw) if raw else 1
    except ValueError:
        number = 1
    if number > _MAX_OFFSET // size:
        abort(400)
    return PageArg(max(number, 1), size)


@dataclass
class Page(Sequence):
    """The rows of one page (at most `arg.size`) and whether more follow."""

    arg: PageArg
    fetched: list = field(default_factory=list)

    def __post_init__(self):
        self.fetched = list(self.fetched)
        self.has_next = len(self.fetched) > self.arg.size
        self.rows = self.fetched[: self.arg.size]

    @property
    def number(self) -> int:
        return self.arg.number

    @property
    def has_previous(self) -> bool:
        return self.arg.number > 1

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)
