"""How the database will run a query: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL, one line per step."""

from __future__ import annotations

from sqlalchemy import Connection, Select, text


def explain(connection: Connection, statement: Select) -> list[str]:
    """The plan of `statement` on this connection's database, as text lines (its parameters inlined)."""
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return [row[-1] for row in rows]  # (id, parent, notused, detail): the detail says SCAN or SEARCH ... INDEX
    return [row[0] for row in connection.execute(text(f"EXPLAIN {sql}")).all()]


def uses_index(plan: list[str], index: str) -> bool:
    """True when the plan reads through `index` (by name), on SQLite or PostgreSQL."""
    return any(index in line for line in plan)
