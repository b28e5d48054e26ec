"""The local SMSC simulator (tests/notifications/smsc/server.js, the npm package `smpp`) as a context manager.

It listens on 127.0.0.1 on a free port, logs every PDU it got to a JSON-lines file, and takes its next
answers from a control file (`plan`): ok (+ a receipt), fail, throttle, drop."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "smsc"
DEADLINE = 60  # seconds for the simulator to start on a loaded machine
SYSTEM_ID = "safetyops"
PASSWORD = "secret"


class FakeSmsc:
    def __init__(self, tmp: Path, **env: str) -> None:
        self.tmp = tmp
        self.log_path = tmp / "smsc.jsonl"
        self.control_path = tmp / "smsc-control.json"
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def __enter__(self) -> FakeSmsc:
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "smpp").is_dir():
            pytest.fail("the SMSC simulator needs node and tests/notifications/smsc/node_modules (run .ci/setup)")
        env = {
            **os.environ,
            "SMSC_LOG": str(self.log_path),
            "SMSC_CONTROL": str(self.control_path),
            "SMSC_SYSTEM_ID": SYSTEM_ID,
            "SMSC_PASSWORD": PASSWORD,
            **self.env,
        }
        self.proc = subprocess.Popen(
            [node, str(HERE / "server.js")],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, end - time.monotonic()))
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("READY "):
                    self.port = int(line.split()[1])
                    return self
                if not line:
                    break
        err = self.proc.stderr.read() if self.proc.poll() is not None else ""
        self.__exit__()
        raise RuntimeError(f"SMSC simulator did not start: {err}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
            self.proc = None

    def plan(self, *actions: dict) -> None:
        """The next answers to submit_sm, in order (then: ok with a DELIVRD receipt)."""
        tmp = self.control_path.with_suffix(".new")
        tmp.write_text(json.dumps({"actions": list(actions)}))
        tmp.replace(self.control_path)

    def events(self, kind: str | None = None) -> list[dict]:
        if not self.log_path.exists():
            return []
        rows = [json.loads(line) for line in self.log_path.read_text(encoding="utf-8").splitlines() if line]
        return [r for r in rows if kind is None or r["event"] == kind]

    def submits(self) -> list[dict]:
        return self.events("submit_sm")
