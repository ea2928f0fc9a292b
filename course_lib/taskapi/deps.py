"""What every task route depends on: a unit of work per request, and ids checked before any query runs."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path
from pydantic import BeforeValidator

from course_lib.taskapi.context import ContextDep
from course_lib.taskapi.records import MAX_ID
from course_lib.taskapi.storage import UnitOfWork


async def unit_of_work(context: ContextDep) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request, from the app's storage; what the route does not commit is rolled back."""
    async with context.storage.request_unit_of_work() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work)]


def digits_only(value: object) -> object:
    """Refuse ids written other than as plain digits ('1.0', '1e3', ' 7', '+7', '٣'), before int() is tried."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("an id is a whole number written in digits")
    return value


ID_RULE = f"A whole number from 1 to {MAX_ID}."
TaskId = Annotated[int, Path(ge=1, le=MAX_ID, description=ID_RULE), BeforeValidator(digits_only)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description=ID_RULE), BeforeValidator(digits_only)]
