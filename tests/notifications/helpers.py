"""A scripted gateway for dispatcher tests."""

from __future__ import annotations

from collections import deque

from safetyops.notifications.gateways import SendResult


class ScriptedGateway:
    name = "scripted"

    def __init__(self, *results: SendResult) -> None:
        self.script = deque(results)
        self.sent: list[tuple[str, str, str, str | None]] = []
        self.lookups: dict[str, SendResult] = {}
        self.n = 0

    def send(self, to, body, *, channel="sms", status_callback=None):
        self.sent.append((to, body, channel, status_callback))
        if self.script:
            return self.script.popleft()
        self.n += 1
        return SendResult("accepted", provider_id=f"SM{self.n:032d}", status="queued")

    def fetch(self, provider_id):
        return self.lookups.get(provider_id)
