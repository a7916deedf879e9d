"""gunicorn settings for running the hub without the `hub` command:

    gunicorn -c deploy/gunicorn.conf.py hub.wsgi:app

The same settings as `hub serve` (hub/cli/serve.py `server_options`), from HUB_HOST, HUB_PORT,
HUB_WORKERS, HUB_THREADS; the master prepares the store, then starts the background jobs once.
"""

from __future__ import annotations

import os

import hub.app  # noqa: F401 - imported once in the master (no connections): workers fork ready
from hub.cli.serve import default_workers, on_starting, server_options

globals().update(server_options(
    os.environ.get("HUB_HOST", "0.0.0.0"),
    int(os.environ.get("HUB_PORT", "8000")),
    int(os.environ.get("HUB_WORKERS") or default_workers()),
    int(os.environ.get("HUB_THREADS") or 8),
))
control_socket_disable = True  # gunicorn ≥ 25; older versions ignore unknown names here
# HUB_JOBS=off when `hub jobs` runs elsewhere (the when_ready hook reads it).
