"""The peer of the finished task API: the same reads written the way FastAPI's own tutorials teach.

"SQL (Relational) Databases": an engine, a session per request through `Depends(get_session)`, `session.get(Task, id)`
and a list with offset and limit. "OAuth2 with Password (and hashing), Bearer with JWT tokens": OAuth2PasswordBearer,
`get_current_user` decodes the JWT with PyJWT and loads the user, POST /token checks an argon2 hash (pwdlib). Nothing
else: no ETag, no cache, no problem details, no idempotency keys, no cursors, no total count. It maps the tables the
course's migrations made (it creates none), so both apps read the same rows and answer the same task JSON.
"""

# No `from __future__ import annotations`: FastAPI and SQLAlchemy read the annotations at run time.

import os
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 30


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    password_hash: Mapped[str]


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    description: Mapped[str]
    done: Mapped[bool]
    owner_id: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def in_utc(value: datetime) -> datetime:
    """The tables hold UTC; SQLite gives it back without a timezone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDatetime = Annotated[datetime, AfterValidator(in_utc)]


class TaskPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    done: bool
    owner_id: int | None
    created_at: UTCDatetime
    updated_at: UTCDatetime


class Token(BaseModel):
    access_token: str
    token_type: str


def create_access_token(secret_key: str, user_id: int, expires_delta: timedelta | None = None) -> str:
    """A JWT naming the user in `sub`, valid for `expires_delta` (the tutorial's default: 30 minutes)."""
    expire = datetime.now(UTC) + (expires_delta or timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES))
    return jwt.encode({"sub": str(user_id), "exp": expire}, secret_key, algorithm=ALGORITHM)


def create_app(database_url: str | None = None, secret_key: str | None = None) -> FastAPI:
    """The peer app over `database_url` (default: $PEER_DATABASE_URL), signing with `secret_key` ($SECRET_KEY)."""
    database_url = database_url or os.environ["PEER_DATABASE_URL"]
    secret_key = secret_key or os.environ["SECRET_KEY"]
    connect_args = {"check_same_thread": False} if database_url.startswith("sqlite") else {}
    engine = create_engine(database_url, connect_args=connect_args)
    password_hash = PasswordHash.recommended()
    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

    def get_session():
        with Session(engine) as session:
            yield session

    SessionDep = Annotated[Session, Depends(get_session)]

    def get_current_user(token: Annotated[str, Depends(oauth2_scheme)], session: SessionDep) -> User:
        credentials_exception = HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
        try:
            payload = jwt.decode(token, secret_key, algorithms=[ALGORITHM])
            user_id = int(payload["sub"])
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
            raise credentials_exception from None
        user = session.get(User, user_id)
        if user is None:
            raise credentials_exception
        return user

    CurrentUser = Annotated[User, Depends(get_current_user)]
    app = FastAPI()

    @app.post("/token")
    def login_for_access_token(
        form_data: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep
    ) -> Token:
        user = session.scalars(select(User).where(User.email == form_data.username)).first()
        if user is None or not password_hash.verify(form_data.password, user.password_hash):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Incorrect username or password",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Token(access_token=create_access_token(secret_key, user.id), token_type="bearer")

    @app.get("/users/me")
    def read_users_me(current_user: CurrentUser) -> dict[str, int | str]:
        return {"id": current_user.id, "name": current_user.name}

    @app.get("/tasks/{task_id}", response_model=TaskPublic)
    def read_task(task_id: int, session: SessionDep, current_user: CurrentUser) -> Task:
        task = session.get(Task, task_id)
        if task is None or task.owner_id != current_user.id:
            raise HTTPException(status_code=404, detail="Task not found")
        return task

    @app.get("/tasks", response_model=list[TaskPublic])
    def read_tasks(
        session: SessionDep, current_user: CurrentUser, offset: int = 0, limit: Annotated[int, Query(le=100)] = 100
    ) -> list[Task]:
        newest_first = (Task.created_at.desc(), Task.id.desc())  # the finished API's default order
        query = select(Task).where(Task.owner_id == current_user.id).order_by(*newest_first)
        return list(session.scalars(query.offset(offset).limit(limit)).all())

    return app
