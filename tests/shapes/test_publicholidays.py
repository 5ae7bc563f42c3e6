"""Public Holidays shape: no credential at all, cursor pagination, comma lists, integer bounds."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.shapes.conftest import run_cli
from tests.shapes.helpers import Case, check_case, params
from tests.shapes.servers import COUNTRIES, HolidayServer

COMMA_LIST_IN_QUERY = (
    "generator gap: a comma_list value sent in the query is str(list) (\"['DE', 'FR']\") instead "
    "of DE,FR (runtime/request.py prepare/_wire_text)"
)


def holidays(code: str, months: range) -> list[dict[str, Any]]:
    name = COUNTRIES[code][0]
    return [{"date": f"2025-{m:02d}-01", "country": code, "name": f"{name} holiday {m}"} for m in months]


def page(cursor: str | None = None, countries: str | None = None, year: int = 2025) -> str:
    query = (
        ([f"countries={countries}"] if countries else []) + ["page_size=4"] + ([f"cursor={cursor}"] if cursor else [])
    )
    return f"/api/v3/holidays/{year}?" + "&".join(query)


CASES = [
    Case(
        "list-return-all",
        "holiday",
        "list",
        kwargs={"year": 2025, "return_all": True},
        parameters={"year": 2025, "returnAll": True},
        method="GET",
        targets=[page(), page("after-4"), page("after-8")],
        items=holidays("DE", range(1, 12)),
    ),
    Case(
        "list-default-limit",
        "holiday",
        "list",
        kwargs={"year": 2025},
        parameters={"year": 2025},
        method="GET",
        targets=[page(), page("after-4")],
        items=holidays("DE", range(1, 7)),
    ),
    Case(
        "list-countries-comma-list",
        "holiday",
        "list",
        kwargs={"year": 2025, "countries": " DE, FR,,", "limit": 50},
        parameters={"year": 2025, "countries": " DE, FR,,", "limit": 50},
        method="GET",
        targets=[page(c, countries="DE,FR") for c in (None, "after-4", "after-8", "after-12")],
        items=holidays("DE", range(1, 12)) + holidays("FR", range(1, 6)),
    ),
    Case(
        "isToday-negative-offset",
        "holiday",
        "isToday",
        kwargs={"country_code": "DE", "utc_offset": -12},
        parameters={"countryCode": "DE", "utcOffset": -12},
        method="GET",
        targets=["/api/v3/is-today/DE?offset=-12"],
        items=[{"countryCode": "DE", "isHoliday": True, "offset": -12}],
        split=False,
    ),
    Case(
        "isToday-default-offset",
        "holiday",
        "isToday",
        kwargs={"country_code": "FR"},
        parameters={"countryCode": "FR"},
        method="GET",
        targets=["/api/v3/is-today/FR?offset=0"],
        items=[{"countryCode": "FR", "isHoliday": False, "offset": 0}],
        split=False,
    ),
    Case(
        "countries-bare-list",
        "country",
        "list",
        kwargs={},
        parameters={},
        method="GET",
        targets=["/api/v3/countries"],
        items=[{"code": code, "name": name} for code, (name, _) in COUNTRIES.items()],
    ),
    Case(
        "regions-list-of-strings",
        "country",
        "regions",
        kwargs={"country_code": "US"},
        parameters={"countryCode": "US"},
        method="GET",
        targets=["/api/v3/countries/US/regions"],
        items=[{"value": "US-A"}, {"value": "US-B"}],
    ),
]


@pytest.mark.parametrize(("case", "mode"), params(CASES))
def test_operation(publicholidays: ModuleType, holiday_server: HolidayServer, case: Case, mode: str) -> None:
    journal = check_case(publicholidays, holiday_server, case, mode, None)
    for request in journal:
        assert not {"authorization", "x-api-key", "cookie"} & set(request.headers)
        assert request.headers["user-agent"] == "nodegen-publicholidays/1.0.0"


def test_every_operation_has_a_case(publicholidays: ModuleType) -> None:
    assert set(publicholidays._node.OPERATIONS) == {f"{c.resource}.{c.operation}" for c in CASES}


def test_client_takes_no_credentials(publicholidays: ModuleType, holiday_server: HolidayServer) -> None:
    node = publicholidays._node.NODE
    assert node.credentials == () and node.secret_fields == ()
    with publicholidays.Client(base_urls={"api": holiday_server.base}) as client:
        assert client.country.list_() == [{"code": c, "name": n} for c, (n, _) in COUNTRIES.items()]
        assert "Credentials({})" in repr(client)
    with pytest.raises(TypeError):
        publicholidays.Client(api_key="x")


# ---- cursor pagination ----


@pytest.mark.parametrize(
    ("kwargs", "cursors", "count"),
    [
        ({"return_all": True}, [None, "after-4", "after-8"], 11),
        ({"limit": 4}, [None], 4),
        ({"limit": 5}, [None, "after-4"], 5),
        ({"limit": 8}, [None, "after-4"], 8),
        ({"limit": 9}, [None, "after-4", "after-8"], 9),
        ({"limit": 50}, [None, "after-4", "after-8"], 11),  # the cursor runs out first
    ],
)
def test_cursor_pagination(
    publicholidays: ModuleType,
    holiday_server: HolidayServer,
    kwargs: dict[str, Any],
    cursors: list[str | None],
    count: int,
) -> None:
    with publicholidays.Client(base_urls={"api": holiday_server.base}) as client:
        items = client.holiday.list_(year=2025, **kwargs)
    assert [r.args.get("cursor") for r in holiday_server.journal] == cursors
    assert all(r.args["page_size"] == "4" for r in holiday_server.journal)
    assert items == holidays("DE", range(1, count + 1))


def test_cursor_pagination_over_items(publicholidays: ModuleType, holiday_server: HolidayServer) -> None:
    result = publicholidays.execute(
        {"resource": "holiday", "operation": "list", "year": "={{ $json.year }}", "limit": "={{ $json.n }}"},
        [{"json": {"year": 2024, "n": 2}}, {"json": {"year": 2026, "n": 5}}],
        base_urls={"api": holiday_server.base},
    )
    assert [(r.path, r.args.get("cursor")) for r in holiday_server.journal] == [
        ("/api/v3/holidays/2024", None),
        ("/api/v3/holidays/2026", None),
        ("/api/v3/holidays/2026", "after-4"),
    ]
    assert [(i["json"]["date"], i["pairedItem"]["item"]) for i in result.main] == [
        ("2024-01-01", 0),
        ("2024-02-01", 0),
    ] + [(f"2026-{m:02d}-01", 1) for m in range(1, 6)]


# ---- validation happens before any request ----

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("holiday.list", {}, "year"),
    ("holiday.list", {"year": 1899}, "year"),
    ("holiday.list", {"year": 2101}, "year"),
    ("holiday.list", {"year": "2025.5"}, "year"),
    ("holiday.list", {"year": 2025, "countries": " , ,"}, "countries"),  # min_items 1
    ("holiday.list", {"year": 2025, "countries": "DE,FR,US,GB"}, "countries"),  # max_items 3
    ("holiday.list", {"year": 2025, "countries": "DEU"}, "countries"),  # item_max_bytes 2
    ("holiday.list", {"year": 2025, "limit": 0}, "limit"),
    ("holiday.list", {"year": 2025, "limit": 51}, "limit"),
    ("holiday.list", {"year": 2025, "returnAll": "yes please"}, "returnAll"),
    ("holiday.isToday", {"countryCode": "D"}, "countryCode"),
    ("holiday.isToday", {"countryCode": "DEU"}, "countryCode"),
    ("holiday.isToday", {"countryCode": "DE", "utcOffset": -13}, "utcOffset"),
    ("holiday.isToday", {"countryCode": "DE", "utcOffset": 15}, "utcOffset"),
    ("country.regions", {}, "countryCode"),
    ("country.regions", {"countryCode": ""}, "countryCode"),
]


@pytest.mark.parametrize(
    ("operation", "parameters", "blamed"), INVALID, ids=[f"{o}-{b}-{i}" for i, (o, _, b) in enumerate(INVALID)]
)
def test_invalid_parameters_fail_before_any_request(
    publicholidays: ModuleType, holiday_server: HolidayServer, operation: str, parameters: dict[str, Any], blamed: str
) -> None:
    resource, op = operation.split(".")
    with pytest.raises(publicholidays.ItemError) as caught:
        publicholidays.execute(
            {"resource": resource, "operation": op, **parameters}, None, base_urls={"api": holiday_server.base}
        )
    cause = caught.value.cause
    assert isinstance(cause, publicholidays.ValidationError), cause
    assert blamed in cause.parameters
    assert holiday_server.journal == []


def test_typed_client_bounds(publicholidays: ModuleType, holiday_server: HolidayServer) -> None:
    with publicholidays.Client(base_urls={"api": holiday_server.base}) as client:
        with pytest.raises(publicholidays.ValidationError, match="year"):
            client.holiday.list_(year=3000)
        with pytest.raises(publicholidays.ValidationError, match="countries"):
            client.holiday.list_(year=2025, countries=["DE", "FR", "US", "GB"])
        with pytest.raises(publicholidays.ValidationError, match="utcOffset"):
            client.holiday.is_today(country_code="DE", utc_offset=14.5)  # type: ignore[arg-type]
    assert holiday_server.journal == []


# ---- CLI ----


def test_cli_without_credentials(shapes_root: Path, holiday_server: HolidayServer) -> None:
    done = run_cli(
        shapes_root,
        "publicholidays",
        "holiday",
        "list",
        "--year",
        "2025",
        "--limit",
        "5",
        "--base-url",
        f"api={holiday_server.base}",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == holidays("DE", range(1, 6))
    assert [r.target for r in holiday_server.journal] == [page(), page("after-4")]
    regions = run_cli(
        shapes_root,
        "publicholidays",
        "country",
        "regions",
        "--country-code",
        "FR",
        "--base-url",
        f"api={holiday_server.base}",
    )
    assert regions.returncode == 0, regions.stderr
    assert json.loads(regions.stdout) == [{"value": "FR-A"}, {"value": "FR-B"}]


def test_cli_bounds_and_api_errors(shapes_root: Path, holiday_server: HolidayServer) -> None:
    base = ["--base-url", f"api={holiday_server.base}"]
    out_of_range = run_cli(
        shapes_root, "publicholidays", "holiday", "isToday", "--country-code", "DE", "--utc-offset", "-13", *base
    )
    assert out_of_range.returncode == 2 and "--utc-offset" in out_of_range.stderr
    too_many = run_cli(
        shapes_root, "publicholidays", "holiday", "list", "--year", "2025", "--countries", "DE,FR,US,GB", *base
    )
    assert too_many.returncode == 2 and "countries" in too_many.stderr
    assert holiday_server.journal == []
    unknown = run_cli(shapes_root, "publicholidays", "holiday", "isToday", "--country-code", "XX", *base)
    assert unknown.returncode == 1 and "HTTP 404" in unknown.stderr and "unknown country 'XX'" in unknown.stderr
