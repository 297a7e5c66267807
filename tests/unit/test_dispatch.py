"""The embedded server finds the service of a request once per host name (emulator.patches): moto lists its own
package directory and tries every service's URL patterns for every request, under one lock all requests share."""

from __future__ import annotations

import os
from typing import Any

import pytest

from skymarshal_local.emulator import patches


def test_a_host_is_resolved_once_then_answered_without_listing_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host",
                        DomainDispatcherApplication.get_backend_for_host)  # put back after the test
    patches.resolve_service_hosts_once()
    app = DomainDispatcherApplication(create_backend_app)
    hosts = {"dynamodb.us-east-1.amazonaws.com": "dynamodb", "states.us-east-1.amazonaws.com": "stepfunctions",
             "sqs.us-east-1.amazonaws.com": "sqs", None: None}
    assert {host: app.get_backend_for_host(host) for host in hosts} == hosts

    def listdir(path: Any) -> list[str]:
        raise AssertionError(f"moto's package listed again: {path}")

    monkeypatch.setattr(os, "listdir", listdir)
    assert {host: app.get_backend_for_host(host) for host in hosts} == hosts
