"""Tiny in-memory fakes of the three shape APIs (standard library only).

Each is a ``ThreadingHTTPServer`` on 127.0.0.1 (ephemeral port, HTTP/1.1 keep-alive) that
checks the auth its spec declares (401 otherwise), serves its routes from in-memory state,
paginates, and journals every request it receives (before the auth check, so a test can see
exactly what was sent even when it was refused)::

    with WeatherServer() as server:
        client = Client(api_key=WEATHER_KEY, base_urls={"api": server.base})
        ...
        assert server.journal[0].target == "/v1/current.json?q=Berlin&...&key=..."
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

WEATHER_KEY = "wk-5ecret-Q9x"
TASKS_KEY = "tt-5ecret-Z7y"

Answer = tuple[int, Any]


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query exactly as received (still percent-encoded)
    path: str  # the raw path, percent-encoded as sent
    query: list[tuple[str, str]]  # decoded, in order
    headers: dict[str, str]  # lower-case names
    body: Any  # the decoded JSON body, None when there was none
    raw_body: bytes

    @property
    def args(self) -> dict[str, str]:
        return dict(self.query)


class ApiFailure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., Answer]


class FakeApi:
    """Base: journal, auth check, JSON answers, regex routes over the decoded path segments."""

    prefix = ""

    def __init__(self) -> None:
        self.journal: list[Request] = []
        self.lock = threading.Lock()
        self.routes: list[_Route] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- to override ----

    def authorized(self, request: Request) -> str | None:
        """None when the request may proceed, else the 401 message."""
        return None

    # ---- plumbing ----

    def route(self, method: str, pattern: str, handler: Callable[..., Answer]) -> None:
        # Placeholders match one percent-encoded segment; handlers get them decoded.
        self.routes.append(_Route(method, re.compile("^" + re.escape(self.prefix) + pattern + "$"), handler))

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base(self) -> str:
        """The base URL to give the client (the spec's base path included)."""
        return self.url + self.prefix

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = fake.dispatch(self.command, self.path, dict(self.headers.items()), raw)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        split = urlsplit(target)
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        request = Request(
            method=method,
            target=target,
            path=split.path,
            query=parse_qsl(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            raw_body=raw,
        )
        with self.lock:
            self.journal.append(request)
            refusal = self.authorized(request)
            if refusal is not None:
                return 401, {"message": refusal}
            if bad_json:
                return 400, {"message": "body is not JSON"}
            if raw and request.headers.get("content-type") != "application/json":
                return 415, {"message": "send application/json"}
            for route in self.routes:
                match = route.pattern.match(split.path)
                if match and route.method == method:
                    try:
                        return route.handler(request, *(unquote(g) for g in match.groups()))
                    except ApiFailure as failure:
                        return failure.status, {"message": failure.message}
            if any(r.pattern.match(split.path) for r in self.routes):
                return 405, {"message": f"{method} not allowed"}
            return 404, {"message": f"no route for {split.path}"}


def _bool_arg(request: Request, name: str) -> bool | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ApiFailure(400, f"{name} must be true or false, got {value!r}")
    return value == "true"


def _int_arg(request: Request, name: str, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"-?\d+", value) or not low <= int(value) <= high:
        raise ApiFailure(400, f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


# ------------------------------------------------------------------------------------------------
# Weather API: key in the query string.


class WeatherServer(FakeApi):
    prefix = "/v1"

    def __init__(self, key: str = WEATHER_KEY) -> None:
        super().__init__()
        self.key = key
        self.route("GET", r"/current\.json", self.current)
        self.route("GET", r"/forecast\.json", self.forecast)
        self.route("GET", r"/history\.json", self.history)
        self.route("GET", r"/search\.json", self.search)
        self.route("GET", r"/astronomy\.json", self.astronomy)

    def authorized(self, request: Request) -> str | None:
        keys = [v for k, v in request.query if k == "key"]
        if keys != [self.key]:
            # Echoes the key it got, as some APIs do: the client must redact it.
            return f"API key {keys[0] if keys else ''!r} is invalid"
        return None

    def _location(self, request: Request) -> str:
        q = request.args.get("q", "")
        if not q:
            raise ApiFailure(400, "q is required")
        return q

    def _units(self, request: Request) -> str:
        units = request.args.get("units", "metric")
        if units not in ("metric", "imperial"):
            raise ApiFailure(400, f"unknown units {units!r}")
        return units

    def current(self, request: Request) -> Answer:
        q, units = self._location(request), self._units(request)
        aqi = _bool_arg(request, "aqi")
        lang = request.args.get("lang", "en")
        text = {"en": "Sunny", "de": "Sonnig", "fr": "Ensoleillé"}.get(lang)
        if text is None:
            raise ApiFailure(400, f"unknown lang {lang!r}")
        current: dict[str, Any] = {"temp": 21.5 if units == "metric" else 70.7, "condition": text}
        if aqi:
            current["air_quality"] = {"pm2_5": 4.2}
        return 200, {"location": {"name": q}, "current": current}

    def forecast(self, request: Request) -> Answer:
        q, units = self._location(request), self._units(request)
        days = _int_arg(request, "days", 1, 14) or 3
        alerts = _bool_arg(request, "alerts")
        min_rain = float(request.args.get("min_rain", "0"))
        rain = [0.1, 0.8, 0.4, 0.9, 0.0, 0.5, 0.3]
        found = []
        for day in range(days):
            chance = rain[day % len(rain)]
            if chance < min_rain:
                continue
            entry: dict[str, Any] = {"date": f"2025-06-{day + 1:02d}", "chance_of_rain": chance, "units": units}
            if alerts:
                entry["alerts"] = ["heat"] if day == 0 else []
            found.append(entry)
        return 200, {"location": {"name": q}, "forecast": {"days": found}}

    def history(self, request: Request) -> Answer:
        q = self._location(request)
        start = _int_arg(request, "dt", 0, 2**40)
        if start is None:
            raise ApiFailure(400, "dt (Unix seconds) is required")
        end = _int_arg(request, "end_dt", start, 2**40)
        hour = _int_arg(request, "hour", 0, 23)
        times = [start + 3600 * h for h in range(3)] if end is None else list(range(start, end + 1, 3600))
        if hour is not None:
            times = [start + 3600 * hour]
        return 200, {
            "location": {"name": q},
            "history": {"hours": [{"time": t, "temp": 10 + i} for i, t in enumerate(times)]},
        }

    def search(self, request: Request) -> Answer:
        args = request.args
        if "q" in args and ("lat" in args or "lon" in args):
            raise ApiFailure(400, "give q or lat/lon, not both")
        if "q" in args:
            return 200, {
                "results": [
                    {"name": args["q"].title(), "country": "DE"},
                    {"name": args["q"].title() + " (NH)", "country": "US"},
                ]
            }
        if "lat" in args and "lon" in args:
            return 200, {"results": [{"name": "Point", "lat": float(args["lat"]), "lon": float(args["lon"])}]}
        raise ApiFailure(400, "q or lat and lon are required")

    def astronomy(self, request: Request) -> Answer:
        q = self._location(request)
        return 200, {
            "location": q,
            "date": request.args.get("dt", "today"),
            "astro": {"sunrise": "04:43", "sunset": "21:33"},
        }


# ------------------------------------------------------------------------------------------------
# Task Tracker: key in a header; page- and offset-paginated lists.


class TaskServer(FakeApi):
    prefix = "/api"

    def __init__(self, key: str = TASKS_KEY, *, tasks_in_p1: int = 7, projects: int = 5) -> None:
        super().__init__()
        self.key = key
        self.projects = [{"id": f"p{i}", "name": f"Project {i}"} for i in range(1, projects + 1)]
        self.archived: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        for i in range(1, tasks_in_p1 + 1):
            self.tasks[f"t{i}"] = {
                "id": f"t{i}",
                "projectId": "p1",
                "title": f"Task {i}",
                "done": i % 4 == 0,
                "archived": i == 7,
            }
        self.next_id = tasks_in_p1 + 1
        self.route("POST", r"/projects/([^/]+)/tasks", self.create)
        self.route("GET", r"/projects/([^/]+)/tasks", self.list_tasks)
        self.route("GET", r"/tasks/([^/]+)", self.get)
        self.route("PATCH", r"/tasks/([^/]+)", self.update)
        self.route("DELETE", r"/tasks/([^/]+)", self.delete)
        self.route("GET", r"/tasks/([^/]+)/comments", self.comments)
        self.route("GET", r"/projects", self.list_projects)
        self.route("PUT", r"/projects/([^/]+)/archive", self.archive)

    def authorized(self, request: Request) -> str | None:
        given = request.headers.get("x-api-key")
        if given != self.key:
            return f"invalid API key {given!r}"
        return None

    def _project(self, project_id: str) -> dict[str, Any]:
        for project in self.projects:
            if project["id"] == project_id:
                return project
        raise ApiFailure(404, f"project {project_id!r} not found")

    def _task(self, task_id: str) -> dict[str, Any]:
        if task_id not in self.tasks:
            raise ApiFailure(404, f"task {task_id!r} not found")
        return self.tasks[task_id]

    def create(self, request: Request, project_id: str) -> Answer:
        self._project(project_id)
        body = request.body
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"]:
            raise ApiFailure(422, "title is required")
        if body.get("priority", "normal") not in ("low", "normal", "high"):
            raise ApiFailure(422, "bad priority")
        task = {**body, "id": f"t{self.next_id}", "projectId": project_id}
        self.next_id += 1
        self.tasks[task["id"]] = task
        return 201, {"task": task}

    def get(self, request: Request, task_id: str) -> Answer:
        return 200, {"task": self._task(task_id)}

    def list_tasks(self, request: Request, project_id: str) -> Answer:
        self._project(project_id)
        page = _int_arg(request, "page", 1, 10_000)
        per_page = _int_arg(request, "per_page", 1, 100)
        if page is None or per_page is None:
            raise ApiFailure(400, "page and per_page are required")
        status = request.args.get("status", "all")
        if status not in ("open", "done", "all"):
            raise ApiFailure(400, f"bad status {status!r}")
        archived = _bool_arg(request, "archived") or False
        q = request.args.get("q", "").lower()
        found = [
            t
            for t in self.tasks.values()
            if t["projectId"] == project_id
            and (status == "all" or t.get("done", False) == (status == "done"))
            and (archived or not t.get("archived", False))
            and q in t["title"].lower()
        ]
        return 200, {"tasks": found[(page - 1) * per_page : page * per_page], "page": page}

    def update(self, request: Request, task_id: str) -> Answer:
        task = self._task(task_id)
        if not isinstance(request.body, dict) or not request.body:
            raise ApiFailure(422, "nothing to update")
        for key, value in request.body.items():
            if key == "meta":
                task.setdefault("meta", {}).update(value)
            else:
                task[key] = value
        return 200, {"task": task}

    def delete(self, request: Request, task_id: str) -> Answer:
        self._task(task_id)
        del self.tasks[task_id]
        return 204, None

    # Comments come one thread per page: the API, not the client, chooses each page's size.
    THREADS = (3, 2, 4)

    def comments(self, request: Request, task_id: str) -> Answer:
        self._task(task_id)
        offset = _int_arg(request, "offset", 0, 10_000)
        if offset is None:
            raise ApiFailure(400, "offset is required")
        end = 0
        for size in self.THREADS:
            end += size
            if offset < end:
                break
        else:
            end = offset
        return 200, {"comments": [{"id": f"c{i + 1}", "taskId": task_id} for i in range(offset, end)]}

    def list_projects(self, request: Request) -> Answer:
        offset = _int_arg(request, "offset", 0, 10_000)
        count = _int_arg(request, "count", 1, 50)
        if offset is None or count is None:
            raise ApiFailure(400, "offset and count are required")
        return 200, {"data": {"projects": self.projects[offset : offset + count]}, "total": len(self.projects)}

    def archive(self, request: Request, project_id: str) -> Answer:
        self._project(project_id)
        if not isinstance(request.body, dict) or request.body.get("archived") is not True:
            raise ApiFailure(422, "archived must be true")
        self.archived[project_id] = request.body
        return 200, {"ok": True}


# ------------------------------------------------------------------------------------------------
# Public holidays: no auth; cursor pagination; a bare list answer.

COUNTRIES = {
    "DE": ("Germany", 11),
    "FR": ("France", 5),
    "US": ("United States", 3),
}


class HolidayServer(FakeApi):
    prefix = "/api/v3"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/holidays/([^/]+)", self.holidays)
        self.route("GET", r"/is-today/([^/]+)", self.is_today)
        self.route("GET", r"/countries", self.countries)
        self.route("GET", r"/countries/([^/]+)/regions", self.regions)

    def authorized(self, request: Request) -> str | None:
        # The API is open; a credential sent anyway is a client bug.
        if "authorization" in request.headers or "x-api-key" in request.headers:
            return "this API takes no credentials"
        return None

    def holidays(self, request: Request, year: str) -> Answer:
        if not re.fullmatch(r"\d{4}", year):
            raise ApiFailure(400, f"bad year {year!r}")
        codes = request.args.get("countries", "DE")
        if not re.fullmatch(r"[A-Z]{2}(,[A-Z]{2})*", codes):
            raise ApiFailure(400, f"countries must be comma-separated ISO codes, got {codes!r}")
        size = _int_arg(request, "page_size", 1, 100)
        if size is None:
            raise ApiFailure(400, "page_size is required")
        every = [
            {"date": f"{year}-{month:02d}-01", "country": code, "name": f"{name} holiday {month}"}
            for code in codes.split(",")
            for month in range(1, COUNTRIES[code][1] + 1)
            for name in [COUNTRIES[code][0]]
        ]
        cursor = request.args.get("cursor")
        start = 0
        if cursor is not None:
            match = re.fullmatch(r"after-(\d+)", cursor)
            if not match:
                raise ApiFailure(400, f"bad cursor {cursor!r}")
            start = int(match.group(1))
        page = every[start : start + size]
        more = start + size < len(every)
        return 200, {"holidays": page, "meta": {"next": f"after-{start + size}" if more else None}}

    def is_today(self, request: Request, code: str) -> Answer:
        if code not in COUNTRIES:
            raise ApiFailure(404, f"unknown country {code!r}")
        offset = _int_arg(request, "offset", -12, 14)
        return 200, {"countryCode": code, "isHoliday": code == "DE", "offset": offset}

    def countries(self, request: Request) -> Answer:
        return 200, [{"code": code, "name": name} for code, (name, _) in COUNTRIES.items()]

    def regions(self, request: Request, code: str) -> Answer:
        if code not in COUNTRIES:
            raise ApiFailure(404, f"unknown country {code!r}")
        return 200, {"regions": [f"{code}-A", f"{code}-B"]}
