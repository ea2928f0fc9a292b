"""A tiny task API on the database that DATABASE_URL names."""

import os
import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, create_engine, insert, select

metadata = MetaData()
tasks = Table(
    "ci_sample_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
)


class TaskIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class Task(TaskIn):
    id: int


def database_url() -> str:
    """The database URL from the environment, with psycopg 3 as PostgreSQL's driver."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("DATABASE_URL is not set: the tests need a database (in CI, the PostgreSQL service)")
    # postgres:// and postgresql:// make SQLAlchemy pick psycopg2; this project ships psycopg 3
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def connection() -> Iterator[Connection]:
    """One connection and transaction per request."""
    with create_engine(database_url()).begin() as conn:
        yield conn


Conn = Annotated[Connection, Depends(connection)]
app = FastAPI(title="ci-sample")


@app.post("/tasks", status_code=201)
def create_task(task: TaskIn, conn: Conn) -> Task:
    """Create a task."""
    task_id = conn.execute(insert(tasks).values(title=task.title).returning(tasks.c.id)).scalar_one()
    return Task(id=task_id, title=task.title)


@app.get("/tasks")
def list_tasks(conn: Conn) -> list[Task]:
    """Every task, oldest first."""
    return [Task(id=row.id, title=row.title) for row in conn.execute(select(tasks).order_by(tasks.c.id))]
