"""`python -m services.opscentre`: serve the API and the dashboard on 127.0.0.1."""

from __future__ import annotations

import sys

import uvicorn

from services.config import Settings
from services.logging import configure
from services.opscentre.app import MissingOperatorToken, create_app

HOST = "127.0.0.1"


def main() -> int:
    settings = Settings()
    configure("opscentre", settings.log_level)
    try:
        app = create_app(settings)
    except MissingOperatorToken as exc:
        print(f"opscentre: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=HOST, port=settings.opscentre_port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
