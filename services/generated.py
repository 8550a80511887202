"""Files of generated secrets (the broker's passwords, partners' signing secrets): made on first
use, mode 0600, given a new random value for every name they lack, never committed."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


def ensure_generated(
    path: Path,
    names: Iterable[str],
    *,
    header: str,
    load: Callable[[Path], Mapping[Any, Any]],
    nbytes: int = 32,
) -> dict[str, str]:
    """The values in ``path`` (read with ``load``), with one generated for every name it lacks."""
    known = {str(k): str(v) for k, v in load(path).items()} if path.exists() else {}
    missing = [n for n in names if n not in known]
    if missing or not path.exists():
        known.update({n: secrets.token_urlsafe(nbytes) for n in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {header}\n" + yaml.safe_dump(dict(sorted(known.items()))))
        os.chmod(path, 0o600)
    return known
