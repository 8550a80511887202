"""`python -m services.gateway worker`: serve the HTTP gateway on 127.0.0.1 (unless
``CORRIDOR_GATEWAY_HOST`` says otherwise), port ``CORRIDOR_GATEWAY_PORT``; faust-style options
(-l warn) are ignored."""

from __future__ import annotations

import sys

import uvicorn

from services.config import Settings
from services.gateway.app import create_app
from services.logging import configure


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "worker":
        print("usage: python -m services.gateway worker [options ignored]", file=sys.stderr)
        return 2
    settings = Settings()
    configure("gateway", settings.log_level)
    app = create_app(settings)
    host, port = settings.gateway_host, settings.gateway_port
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
