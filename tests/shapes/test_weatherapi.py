"""Weather API shape: an API key in the query string, GET only, booleans, enums, dates."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.shapes.conftest import run_cli
from tests.shapes.helpers import Case, check_case, params
from tests.shapes.servers import WEATHER_KEY, WeatherServer

CREDS = {"apiKey": WEATHER_KEY}
K = f"key={WEATHER_KEY}"
REQUIRED_WHEN_SHOWN = (
    "generator gap: a `required` parameter with display conditions is required by the pydantic "
    "model even when it does not apply (param_schema.parameters_schema / pytypes.parameter)"
)
SUNNY = {"temp": 21.5, "condition": "Sunny"}

CASES = [
    Case(
        "current-all-params",
        "current",
        "get",
        kwargs={"location": "Berlin", "units": "imperial", "include_air_quality": True, "language": "de"},
        parameters={"location": "Berlin", "units": "imperial", "includeAirQuality": True, "language": "de"},
        method="GET",
        targets=[f"/v1/current.json?q=Berlin&units=imperial&aqi=true&lang=de&{K}"],
        items=[{"temp": 70.7, "condition": "Sonnig", "air_quality": {"pm2_5": 4.2}}],
        split=False,
    ),
    Case(
        "current-defaults",
        "current",
        "get",
        kwargs={"location": "Köln am Rhein"},
        parameters={"location": "Köln am Rhein"},
        method="GET",
        targets=[f"/v1/current.json?q=K%C3%B6ln+am+Rhein&units=metric&aqi=false&{K}"],
        items=[SUNNY],
        split=False,
    ),
    Case(
        "forecast-all-params",
        "forecast",
        "get",
        kwargs={"location": "Paris", "days": 7, "include_alerts": True, "units": "metric", "min_chance_of_rain": 0.4},
        parameters={"location": "Paris", "days": 7, "includeAlerts": True, "minChanceOfRain": 0.4},
        method="GET",
        targets=[f"/v1/forecast.json?q=Paris&days=7&alerts=true&units=metric&min_rain=0.4&{K}"],
        items=[
            {"date": f"2025-06-{d:02d}", "chance_of_rain": c, "units": "metric", "alerts": []}
            for d, c in ((2, 0.8), (3, 0.4), (4, 0.9), (6, 0.5))
        ],
    ),
    Case(
        "forecast-defaults",
        "forecast",
        "get",
        kwargs={"location": "Paris"},
        parameters={"location": "Paris"},
        method="GET",
        targets=[f"/v1/forecast.json?q=Paris&days=3&alerts=false&units=metric&{K}"],
        items=[
            {"date": f"2025-06-{d:02d}", "chance_of_rain": c, "units": "metric"}
            for d, c in ((1, 0.1), (2, 0.8), (3, 0.4))
        ],
    ),
    Case(
        "history-range-iso",
        "history",
        "get",
        kwargs={"location": "Oslo", "date": "2024-01-15T11:30:00+01:00", "end_date": "2024-01-15T12:30:00Z"},
        parameters={"location": "Oslo", "date": "2024-01-15T10:30:00", "endDate": "2024-01-15T12:30:00.900Z"},
        method="GET",
        targets=[f"/v1/history.json?q=Oslo&dt=1705314600&end_dt=1705321800&{K}"],
        items=[{"time": 1705314600 + 3600 * i, "temp": 10 + i} for i in range(3)],
    ),
    Case(
        "history-unix-and-hour",
        "history",
        "get",
        kwargs={"location": "Oslo", "date": 1705314600, "hour": 23},
        parameters={"location": "Oslo", "date": "1705314600", "hour": 23},
        method="GET",
        targets=[f"/v1/history.json?q=Oslo&dt=1705314600&hour=23&{K}"],
        items=[{"time": 1705314600 + 23 * 3600, "temp": 10}],
    ),
    Case(
        "search-by-name",
        "location",
        "search",
        kwargs={"name": "springfield"},
        parameters={"name": "springfield"},
        method="GET",
        targets=[f"/v1/search.json?q=springfield&{K}"],
        items=[{"name": "Springfield", "country": "DE"}, {"name": "Springfield (NH)", "country": "US"}],
    ),
    Case(
        "search-by-coordinates",
        "location",
        "search",
        kwargs={"search_by": "coordinates", "latitude": -33.87, "longitude": 151.21},
        parameters={"searchBy": "coordinates", "latitude": -33.87, "longitude": 151.21},
        method="GET",
        targets=[f"/v1/search.json?lat=-33.87&lon=151.21&{K}"],
        items=[{"name": "Point", "lat": -33.87, "lon": 151.21}],
    ),
    Case(
        "astronomy-whole-response",
        "astronomy",
        "get",
        kwargs={"location": "Rome", "date": "2025-06-21"},
        parameters={"location": "Rome", "date": "2025-06-21"},
        method="GET",
        targets=[f"/v1/astronomy.json?q=Rome&dt=2025-06-21&{K}"],
        items=[{"location": "Rome", "date": "2025-06-21", "astro": {"sunrise": "04:43", "sunset": "21:33"}}],
        split=False,
    ),
]


@pytest.mark.parametrize(("case", "mode"), params(CASES))
def test_operation(weatherapi: ModuleType, weather_server: WeatherServer, case: Case, mode: str) -> None:
    journal = check_case(weatherapi, weather_server, case, mode, CREDS)
    for request in journal:
        # The key travels once, as the last query parameter, and nowhere else.
        assert request.query[-1] == ("key", WEATHER_KEY)
        assert [k for k, _ in request.query].count("key") == 1
        assert "authorization" not in request.headers
        assert request.headers["accept"] == "application/json"


def test_every_operation_has_a_case(weatherapi: ModuleType) -> None:
    declared = {op for op in weatherapi._node.OPERATIONS}
    assert declared == {f"{c.resource}.{c.operation}" for c in CASES}


def test_query_string_is_exact(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    with weatherapi.Client(api_key=WEATHER_KEY, base_urls={"api": weather_server.base}) as client:
        client.current.get(location="São Paulo & co", include_air_quality=False)
    assert weather_server.journal[0].target == f"/v1/current.json?q=S%C3%A3o+Paulo+%26+co&units=metric&aqi=false&{K}"


def test_expressions_resolve_per_item(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    result = weatherapi.execute(
        {
            "resource": "forecast",
            "operation": "get",
            "location": "={{ $json.city }}",
            "days": 1,
            "includeAlerts": "={{ $json.alerts }}",
        },
        [{"json": {"city": "Lyon", "alerts": True}}, {"json": {"city": "Nice", "alerts": False}}],
        CREDS,
        base_urls={"api": weather_server.base},
    )
    assert [r.args["q"] for r in weather_server.journal] == ["Lyon", "Nice"]
    assert [r.args["alerts"] for r in weather_server.journal] == ["true", "false"]
    assert [(i["json"].get("alerts"), i["pairedItem"]) for i in result.main] == [
        (["heat"], {"item": 0}),
        (None, {"item": 1}),
    ]


def test_client_execute_uses_the_client_session(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    with weatherapi.Client(api_key=WEATHER_KEY, base_urls={"api": weather_server.base}) as client:
        result = client.execute({"resource": "current", "operation": "get", "location": "Bonn"})
    assert result.main == [{"json": SUNNY, "pairedItem": {"item": 0}}]
    assert weather_server.journal[0].args == {"q": "Bonn", "units": "metric", "aqi": "false", "key": WEATHER_KEY}


def test_default_resource_and_operation(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    result = weatherapi.execute({"location": "Ulm"}, None, CREDS, base_urls={"api": weather_server.base})
    assert [i["json"] for i in result.main] == [SUNNY]
    assert weather_server.journal[0].path == "/v1/current.json"


# ---- validation happens before any request ----

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("forecast.get", {"location": "Paris", "days": 5}, "days"),
    ("forecast.get", {"location": "Paris", "days": "3"}, "days"),
    ("forecast.get", {"location": "Paris", "units": "kelvin"}, "units"),
    ("forecast.get", {"location": "Paris", "minChanceOfRain": 1.5}, "minChanceOfRain"),
    ("forecast.get", {"location": "Paris", "minChanceOfRain": -0.1}, "minChanceOfRain"),
    ("forecast.get", {"location": "Paris", "includeAlerts": "maybe"}, "includeAlerts"),
    ("forecast.get", {}, "location"),
    ("current.get", {"location": ""}, "location"),
    ("current.get", {"location": "x" * 101}, "location"),
    ("current.get", {"location": "Bonn", "language": "es"}, "language"),
    ("history.get", {"location": "Oslo"}, "date"),
    ("history.get", {"location": "Oslo", "date": "yesterday"}, "date"),
    ("history.get", {"location": "Oslo", "date": 1705314600, "hour": 24}, "hour"),
    ("history.get", {"location": "Oslo", "date": 1705314600, "hour": -1}, "hour"),
    ("location.search", {"searchBy": "coordinates", "latitude": 91, "longitude": 0}, "latitude"),
    ("location.search", {"searchBy": "coordinates", "latitude": 0, "longitude": -180.5}, "longitude"),
    ("location.search", {"searchBy": "planet", "name": "x"}, "searchBy"),
]


@pytest.mark.parametrize(
    ("operation", "parameters", "blamed"), INVALID, ids=[f"{o}-{b}-{i}" for i, (o, _, b) in enumerate(INVALID)]
)
def test_invalid_parameters_fail_before_any_request(
    weatherapi: ModuleType, weather_server: WeatherServer, operation: str, parameters: dict[str, Any], blamed: str
) -> None:
    resource, op = operation.split(".")
    with pytest.raises(weatherapi.ItemError) as caught:
        weatherapi.execute(
            {"resource": resource, "operation": op, **parameters}, None, CREDS, base_urls={"api": weather_server.base}
        )
    cause = caught.value.cause
    assert isinstance(cause, weatherapi.ValidationError)
    assert blamed in cause.parameters
    assert weather_server.journal == []


def test_typed_client_validates_before_any_request(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    with weatherapi.Client(api_key=WEATHER_KEY, base_urls={"api": weather_server.base}) as client:
        with pytest.raises(weatherapi.ValidationError, match="days"):
            client.forecast.get(location="Paris", days=5)  # type: ignore[arg-type]
        with pytest.raises(weatherapi.ValidationError, match="hour"):
            client.history.get(location="Oslo", date="2024-01-01", hour=99)
        with pytest.raises(weatherapi.ValidationError, match="date"):
            client.history.get(location="Oslo", date="31/12/2024")
    assert weather_server.journal == []


def test_missing_key_is_a_credential_error_before_any_request(
    weatherapi: ModuleType, weather_server: WeatherServer
) -> None:
    with (
        weatherapi.Client(base_urls={"api": weather_server.base}) as client,
        pytest.raises(weatherapi.CredentialError, match="apiKey"),
    ):
        client.current.get(location="Bonn")
    assert weather_server.journal == []


# ---- secrets ----


def test_wrong_key_is_redacted_from_errors(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    wrong = "wrong-key-0000"
    with (
        weatherapi.Client(api_key=wrong, base_urls={"api": weather_server.base}) as client,
        pytest.raises(weatherapi.AuthenticationError) as caught,
    ):
        client.current.get(location="Bonn")
    error = caught.value
    assert weather_server.journal[0].args["key"] == wrong  # it was sent, and the server echoed it
    assert error.status == 401
    assert wrong not in str(error) and wrong not in error.api_message and wrong not in error.url
    assert dict(parse_qsl(urlsplit(error.url).query))["key"] == "***"
    assert "'***' is invalid" in error.api_message


def test_secret_never_in_reprs_items_or_transport_errors(weatherapi: ModuleType, weather_server: WeatherServer) -> None:
    client = weatherapi.Client(api_key=WEATHER_KEY, base_urls={"api": weather_server.base})
    assert WEATHER_KEY not in repr(client) and "***" in repr(client)
    client.close()
    async_client = weatherapi.AsyncClient({"apiKey": WEATHER_KEY})
    assert WEATHER_KEY not in repr(async_client)
    asyncio.run(async_client.aclose())
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    result = weatherapi.execute(
        {"resource": "current", "operation": "get", "location": "Bonn"},
        None,
        CREDS,
        {"onError": "continueRegularOutput"},
        base_urls={"api": dead},
        retry=weatherapi.RetryPolicy.off(),
    )
    [item] = result.main
    assert item["json"]["errorType"] == "ConnectError"
    assert WEATHER_KEY not in json.dumps(result.main)
    assert item["json"]["error"].startswith("ConnectError") and "/v1/current.json?q=Bonn" in item["json"]["error"]


def test_secret_never_in_the_request_log_nor_the_session_internals(
    weatherapi: ModuleType, weather_server: WeatherServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The owned client's requests skip httpx.Client, so the session writes httpx's INFO line
    itself: with the query key shown as ***."""
    client = weatherapi.Client(api_key=WEATHER_KEY, base_urls={"api": weather_server.base})
    session = client._session
    with caplog.at_level("INFO", logger="httpx"):
        client.current.get(location="Bonn")
    [line] = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert line.startswith("HTTP Request: GET ") and "key=***" in line and WEATHER_KEY not in line
    internals = [repr(parts) for parts in session._base_parts.values()]
    internals.append(repr(session.wire(weatherapi._runtime.calls.prepared(
        weatherapi._node.OPERATIONS["current.get"], weatherapi.models.CurrentGetParams, {"location": "Bonn"}
    ))))  # fmt: skip
    assert internals and not any(WEATHER_KEY in text for text in internals)
    client.close()


# ---- CLI ----


def test_cli_runs_an_operation(shapes_root: Path, weather_server: WeatherServer) -> None:
    done = run_cli(
        shapes_root,
        "weatherapi",
        "current",
        "get",
        "--location",
        "Bonn",
        "--units",
        "imperial",
        "--include-air-quality",
        "true",
        "--language",
        "fr",
        "--base-url",
        f"api={weather_server.base}",
        env={"WEATHERAPI_API_KEY": WEATHER_KEY},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"temp": 70.7, "condition": "Ensoleillé", "air_quality": {"pm2_5": 4.2}}
    assert weather_server.journal[0].target == f"/v1/current.json?q=Bonn&units=imperial&aqi=true&lang=fr&{K}"
    assert WEATHER_KEY not in done.stdout + done.stderr


def test_cli_list_output_with_dates(shapes_root: Path, weather_server: WeatherServer) -> None:
    done = run_cli(
        shapes_root,
        "weatherapi",
        "history",
        "get",
        "--location",
        "Oslo",
        "--date",
        "2024-01-15T10:30:00Z",
        "--hour",
        "1",
        "--api-key",
        WEATHER_KEY,
        "--base-url",
        f"api={weather_server.base}",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"time": 1705314600 + 3600, "temp": 10}]
    assert weather_server.journal[0].args == {"q": "Oslo", "dt": "1705314600", "hour": "1", "key": WEATHER_KEY}


def test_cli_errors_exit_codes_and_redaction(shapes_root: Path, weather_server: WeatherServer) -> None:
    base = ["--base-url", f"api={weather_server.base}"]
    bad_range = run_cli(
        shapes_root,
        "weatherapi",
        "history",
        "get",
        "--location",
        "Oslo",
        "--date",
        "1",
        "--hour",
        "24",
        *base,
        env={"WEATHERAPI_API_KEY": WEATHER_KEY},
    )
    assert bad_range.returncode == 2 and "--hour" in bad_range.stderr
    bad_choice = run_cli(
        shapes_root,
        "weatherapi",
        "current",
        "get",
        "--location",
        "x",
        "--units",
        "kelvin",
        *base,
        env={"WEATHERAPI_API_KEY": WEATHER_KEY},
    )
    assert bad_choice.returncode == 2 and "--units" in bad_choice.stderr
    assert weather_server.journal == []
    wrong = "wrong-cli-key-1"
    refused = run_cli(
        shapes_root, "weatherapi", "current", "get", "--location", "x", *base, env={"WEATHERAPI_API_KEY": wrong}
    )
    assert refused.returncode == 1
    assert "HTTP 401" in refused.stderr and wrong not in refused.stderr + refused.stdout


def test_cli_integer_options(shapes_root: Path, weather_server: WeatherServer) -> None:
    done = run_cli(
        shapes_root,
        "weatherapi",
        "forecast",
        "get",
        "--location",
        "Paris",
        "--days",
        "7",
        "--include-alerts",
        "true",
        "--base-url",
        f"api={weather_server.base}",
        env={"WEATHERAPI_API_KEY": WEATHER_KEY},
    )
    assert done.returncode == 0, done.stderr
    assert weather_server.journal[0].args["days"] == "7"
    assert len(json.loads(done.stdout)) == 7
