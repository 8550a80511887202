"""Partner signing secrets: never in the repository's registry, never in an error message.

They come from a YAML file ``partner_id: secret`` kept outside the repository and
``CORRIDOR_PARTNER_SECRET_<ID>`` variables. ``corridor up`` generates development ones into the
state folder (:func:`ensure_file`), as it does the broker's passwords; nothing is committed.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from services.generated import ensure_generated
from services.registry.errors import RegistryError

SECRET_ENV_PREFIX = "CORRIDOR_PARTNER_SECRET_"  # noqa: S105 - a variable name prefix
MIN_SECRET_LENGTH = 16


def secret_env_var(partner_id: str) -> str:
    """The variable holding a partner's secret, e.g. ``CORRIDOR_PARTNER_SECRET_IOM_DTM_HT``."""
    return SECRET_ENV_PREFIX + partner_id.upper().replace("-", "_")


def load_secrets(file: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Partner secrets from a YAML mapping ``partner_id: secret``, overridden by the environment.

    Partner ids have no ``_`` and no upper case, so each variable names exactly one partner.
    Empty variables are ignored.
    """
    secrets: dict[str, str] = {}
    if file is not None:
        for key, value in read_yaml(file, secret=True).items():
            if not isinstance(key, str) or not isinstance(value, str) or not value:
                raise RegistryError(f"{file}: entry {key!s:.50} is not 'partner_id: secret'")
            secrets[key] = value
    for name, value in environ.items():
        if name.startswith(SECRET_ENV_PREFIX) and value:
            secrets[name.removeprefix(SECRET_ENV_PREFIX).lower().replace("_", "-")] = value
    return secrets


def ensure_file(path: Path, partner_ids: Iterable[str]) -> dict[str, str]:
    """The secrets in ``path`` (mode 0600), with a new random one for every partner it lacks."""
    return ensure_generated(
        path, partner_ids,
        header="Generated: partner signing secrets of this node. Hand each partner its own.",
        load=lambda p: read_yaml(p, secret=True),
    )  # fmt: skip


def read_yaml(path: Path, *, secret: bool = False) -> dict[Any, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        if not secret:
            raise RegistryError(f"{path}: invalid YAML: {exc}") from exc
        # YAML errors quote the offending line: never echo a secrets file.
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise RegistryError(f"{path}: invalid YAML{at} (not shown: secrets file)") from None
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: expected a YAML mapping")
    return data
