"""Prometheus text-format metrics of the relay and the ingest, served on a small HTTP endpoint."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HELP = {
    "hub_kafka_relay_position": ("gauge", "Last global position acknowledged by the broker."),
    "hub_kafka_relay_store_position": ("gauge", "Last global position in the event store."),
    "hub_kafka_relay_lag": ("gauge", "Events stored but not yet published."),
    "hub_kafka_relay_published": ("counter", "Messages acknowledged since start."),
    "hub_kafka_relay_rebuilds": ("counter", "Producers rebuilt after a failed or wedged send."),
    "hub_kafka_ingest_handled": ("counter", "Commands that took effect or were repeats."),
    "hub_kafka_ingest_failed": ("counter", "Commands answered with a problem."),
    "hub_kafka_ingest_retries": ("counter", "Batches retried after a broker or store failure."),
}


def render(figures: dict[str, int]) -> str:
    """The figures as Prometheus exposition text (names as in HELP)."""
    lines: list[str] = []
    for name, value in figures.items():
        kind, text = HELP[name]
        metric = f"{name}_total" if kind == "counter" else name
        lines += [f"# HELP {metric} {text}", f"# TYPE {metric} {kind}", f"{metric} {value}"]
    return "\n".join(lines) + "\n"


def serve(bind: str, figures: Callable[[], dict[str, int]]) -> ThreadingHTTPServer:
    """Serve GET /metrics on `host:port` from a daemon thread; returns the server."""
    host, _, port = bind.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = render(figures()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Scrapes are not worth a log line."""

    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
    return server
