"""`python -m services.opscentre worker`: serve the API and the dashboard (127.0.0.1 unless
``CORRIDOR_OPSCENTRE_HOST`` says otherwise); faust-style options (-l warn) are ignored."""

from __future__ import annotations

import sys

import uvicorn

from services.config import Settings
from services.logging import configure
from services.opscentre.app import MissingOperatorToken, create_app


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "worker":
        print("usage: python -m services.opscentre worker [options ignored]", file=sys.stderr)
        return 2
    settings = Settings()
    configure("opscentre", settings.log_level)
    try:
        app = create_app(settings)
    except MissingOperatorToken as exc:
        print(f"opscentre: {exc}", file=sys.stderr)
        return 2
    host, port = settings.opscentre_host, settings.opscentre_port
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
