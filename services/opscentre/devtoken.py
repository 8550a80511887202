"""The development operator token of `corridor run`: made once, kept in the state folder."""

from __future__ import annotations

import secrets
from pathlib import Path

TOKEN_FILE = "opscentre-operator-token"  # noqa: S105 - a file name


def dev_operator_token(state_dir: Path) -> str:
    """The token in ``<state_dir>/opscentre-operator-token``, created (mode 0600) if missing."""
    path = state_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    state_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token + "\n", encoding="utf-8")
    return token
