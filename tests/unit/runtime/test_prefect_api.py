"""Prefect API refusals become errors that name the setting to fix, never its value."""

from __future__ import annotations

import httpx
import pytest
from prefect.settings import PREFECT_API_AUTH_STRING, temporary_settings

from fleetflow.errors import ComponentUnavailable
from fleetflow.runtime.prefect_api import auth_headers, prefect_api, prefect_api_error


def status_error(code: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "http://127.0.0.1:4200/api/work_pools/x")
    response = httpx.Response(code, request=request)
    return httpx.HTTPStatusError(f"HTTP {code}", request=request, response=response)


@pytest.mark.parametrize("code", [401, 403])
def test_refusal_names_the_setting_not_the_value(code: int) -> None:
    with temporary_settings({PREFECT_API_AUTH_STRING: "ops:hunter2"}):
        error = prefect_api_error(status_error(code), "registering pools")
    assert isinstance(error, ComponentUnavailable)
    assert f"HTTP {code}" in str(error)
    assert "the wrong credentials" in str(error)
    assert "PREFECT_API_AUTH_STRING" in str(error)
    assert "hunter2" not in str(error)


def test_refusal_without_a_string_says_none_was_sent() -> None:
    with temporary_settings({PREFECT_API_AUTH_STRING: None}):
        error = prefect_api_error(status_error(401), "x")
        assert auth_headers() == {}
    assert error is not None
    assert "no credentials" in str(error)


def test_auth_header_is_prefects_basic_credential() -> None:
    with temporary_settings({PREFECT_API_AUTH_STRING: "ops:hunter2"}):
        assert auth_headers() == {"Authorization": "Basic b3BzOmh1bnRlcjI="}


def test_other_failures_pass_through_or_read_as_unreachable() -> None:
    assert prefect_api_error(status_error(500), "x") is None
    unreachable = prefect_api_error(httpx.ConnectError("refused"), "starting a run")
    assert unreachable is not None
    assert "unreachable while starting a run" in str(unreachable)
    with pytest.raises(httpx.HTTPStatusError), prefect_api("x"):
        raise status_error(500)
    with pytest.raises(ComponentUnavailable, match="HTTP 401"), prefect_api("x"):
        raise status_error(401)
