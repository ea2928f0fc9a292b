"""Chapter 06 — tasks and users move to SQL; GET /tasks pages, sorts and filters (offset pagination)."""

from __future__ import annotations

import weakref
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response

from course_lib.services.db import IsolatedDatabase, isolated_database
from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi.deps import TasksDep, UsersDep
from course_lib.taskapi.repository import SORT_KEYS, Task, TaskQuery, TaskRepository
from course_lib.taskapi.routing import remove_routes
from course_lib.taskapi.schemas import TASK_MODELS, TaskModels
from course_lib.taskapi.sql_repository import SqlTaskRepository, SqlUserRepository, create_tables
from course_lib.web.pagination import Page, PageDep, pagination_headers, sort_dependency

SortDep = Annotated[tuple[str, ...], Depends(sort_dependency(SORT_KEYS))]
DoneFilter = Annotated[bool | None, Query(description="Only done (true) or open (false) tasks.")]
TextFilter = Annotated[str | None, Query(max_length=200, description="Only tasks whose title or description "
                                                                    "contains this text, ignoring case.")]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 05's API on a SQL database of its own, with GET /tasks paginated, sorted and filtered."""
    from course_lib.taskapi import app_factory

    settings = settings or get_settings()
    app = app_factory(5)(settings)
    use_sql_storage(app, isolated_database(settings))
    remove_routes(app, "/tasks", {"GET"})
    add_task_list_route(app)
    if remove_routes(app, "/users/{user_id}/tasks", {"GET"}):
        add_user_task_list_route(app)
    return app


def use_sql_storage(app: FastAPI, database: IsolatedDatabase) -> None:
    """Swap the app's repositories for SQL ones on `database`, which lives as long as the app's server runs."""
    create_tables(database.engine)
    database.engine.dispose()  # no idle connection held for an app that is built but never used
    app.state.database = database
    app.state.tasks = SqlTaskRepository(database.engine)
    app.state.users = SqlUserRepository(database.engine)
    weakref.finalize(app, database.drop)  # an app that is never served still gives its database back
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        database.create()  # again, if an earlier server of this app dropped it
        create_tables(database.engine)
        try:
            async with inner(app) as state:
                yield state
        finally:
            database.drop()

    app.router.lifespan_context = lifespan


def list_page(tasks: TaskRepository, request: Request, response: Response, page: Page, query: TaskQuery) -> list[Task]:
    """One page of the tasks matching `query`, with X-Total-Count and Link headers."""
    total = tasks.count(query)
    response.headers.update(pagination_headers(request.url, page, total))
    if page.offset >= total:  # past the end: nothing to fetch (and no OFFSET too large for the database)
        return []
    return tasks.list(replace(query, offset=page.offset, limit=page.limit))


def add_task_list_route(app: FastAPI, models: TaskModels = TASK_MODELS) -> None:
    """GET /tasks: ?page=&limit= (1..100), ?sort= from a whitelist, ?done= and ?text= filters."""

    @app.get("/tasks", response_model=list[models.public], tags=["tasks"])
    def list_tasks(tasks: TasksDep, request: Request, response: Response, page: PageDep, sort: SortDep,
                   done: DoneFilter = None, text: TextFilter = None) -> list[Task]:
        """200 with one page of tasks, newest first by default; total in X-Total-Count, other pages in Link."""
        return list_page(tasks, request, response, page, TaskQuery(done=done, text=text, sort=sort))


def add_user_task_list_route(app: FastAPI, models: TaskModels = TASK_MODELS) -> None:
    """GET /users/{user_id}/tasks: the same pages, sorting and filters over one owner's tasks."""

    @app.get("/users/{user_id}/tasks", response_model=list[models.public], tags=["users"])
    def list_user_tasks(user_id: int, users: UsersDep, tasks: TasksDep, request: Request, response: Response,
                        page: PageDep, sort: SortDep, done: DoneFilter = None, text: TextFilter = None) -> list[Task]:
        """200 with one page of the user's tasks; 404 when there is no such user."""
        if users.get(user_id) is None:
            raise HTTPException(404, f"user {user_id} not found")
        return list_page(tasks, request, response, page,
                         TaskQuery(owner_id=user_id, done=done, text=text, sort=sort))
