"""`hub.wsgi:app` for external WSGI servers; the app is built on first access, not on import."""

from __future__ import annotations

import threading
from typing import Any

_built: dict[str, Any] = {}
_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    """Build the Flask app the first time `app` is asked for (after a server's fork)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:
        if "app" not in _built:
            from hub.app import create_app

            _built["app"] = create_app()
    return _built["app"]
