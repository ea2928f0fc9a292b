"""Count the SQL statements an engine sends, with SQLAlchemy's before_cursor_execute event: N+1 made visible."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event


@dataclass
class Statements:
    """The statements sent while counting, in order."""

    sql: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements went to the database."""
        return len(self.sql)

    def __repr__(self) -> str:
        return f"<Statements count={self.count}>"


@contextmanager
def counting_statements(engine: Engine) -> Iterator[Statements]:
    """Record every statement `engine` sends inside the block (executemany counts once: one round trip)."""
    seen = Statements()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.sql.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
