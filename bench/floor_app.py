"""The floor under `POST /api/v1/referrals`: a bare Flask route that saves the same aggregate.

`bench/submit.py --floor` serves this under granian with the hub's workers and threads, beside
`hub serve`, in the same run: it parses the JSON body, builds `Referral.submit` with a fixed
sender and saves it by the hub application's group commit (`HubApplication.create`, as the
hub's submit does), and answers 201 with the id. It leaves out everything the contract asks
of a submit besides storing it: the token and its revocation check, validation and problem
bodies, idempotency keys, the request log line, the representation with ETag and Location.
So its rate is what Flask, granian and the library reach on this machine with nothing of
the hub's own, and the hub's rate divided by it is the share of the machine the contract's
work leaves. Never served by the hub: a bench fixture only.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, request

from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from domain.base import Caller
from domain.referral import Referral

app = Flask(__name__)
SENDER = Caller(agency="agency-01", user="bench", role="staff", jurisdiction="hubei/agency-01")
_opened: list[HubApplication] = []


def hub() -> HubApplication:
    """This worker's application, opened on its first request (after granian's fork)."""
    if not _opened:
        _opened.append(open_application(Settings.from_env()))  # as `hub serve` reads it
    return _opened[0]


@app.post("/api/v1/referrals")
def submit() -> tuple[dict[str, Any], int]:
    body = request.get_json()
    application = hub()
    referral = Referral.submit(
        id=uuid.uuid4(), caller=SENDER, at=application.clock(), to_agency=body["to_agency"],
        category=body["category"], urgency=body["urgency"], reason=body["reason"],
        subject=body["subject"], consent=body["consent"])
    application.create(referral)
    return {"id": str(referral.id), "version": referral.version}, 201
