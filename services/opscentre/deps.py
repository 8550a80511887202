"""Request dependencies: the caller's principal, the database pool, query scopes."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.opscentre.auth import OutOfScope, Principal, Unauthenticated, authenticate
from services.opscentre.cursor import BadCursor, Cursor, decode_cursor

_bearer = HTTPBearer(auto_error=False, description="The operator token or a partner token.")


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials is not None else None
    state = request.app.state
    try:
        return authenticate(token, state.operator_token, state.partners)
    except Unauthenticated as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None


def pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


def cursor_of(text: str | None) -> Cursor | None:
    if text is None:
        return None
    try:
        return decode_cursor(text)
    except BadCursor as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None


def forbidden(exc: OutOfScope) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, str(exc))


Caller = Annotated[Principal, Depends(principal)]
Pool = Annotated[asyncpg.Pool, Depends(pool)]
