"""Task Tracker shape: an API key in a header, page/offset pagination, nested collections."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.shapes.conftest import run_cli
from tests.shapes.helpers import Case, check_case, params
from tests.shapes.servers import TASKS_KEY, TaskServer

CREDS = {"apiKey": TASKS_KEY}
TOP_LEVEL_FIXED_COLLECTION = (
    "generator gap: execute() converts n8n's fixedCollection storage ({group: [{key, value}]}) only "
    "for collection sub-options, not for a top-level fixedCollection (runtime/n8n_parameters.py item_values)"
)
OFFSET_FROM_LAST_PAGE = (
    "generator bug: offset pagination computes the next offset as start + pages * len(last page) "
    "instead of start + items so far, so pages of different sizes skip or repeat items "
    "(runtime/pages.py next_page)"
)
COLLECTION_DEFAULTS = (
    "generator gap: a collection sub-option's default is applied even when the option was not "
    "added (pydantic model default from param_schema.field_schema), unlike n8n, so status=open is sent"
)


def seeded(i: int) -> dict[str, Any]:
    return {"id": f"t{i}", "projectId": "p1", "title": f"Task {i}", "done": i % 4 == 0, "archived": i == 7}


FULL_CREATE_BODY = {
    "source": "nodegen",
    "meta": {"schema": 2, "estimate": 2.5, "labels": {"bug": "red", "ui": "blue"}},
    "title": "Write the report",
    "priority": "high",
    "done": False,
    "description": "Quarterly numbers",
    "assignee": {"email": "ann@example.com"},
    "due": "2025-07-01T09:00:00Z",
    "tags": ["q3", "finance", "urgent"],
}

CASES = [
    Case(
        "create-nested-collection",
        "task",
        "create",
        kwargs={
            "project_id": "p1",
            "title": "Write the report",
            "priority": "high",
            "description": "Quarterly numbers",
            "assignee_email": "ann@example.com",
            "estimate_hours": 2.5,
            "due_date": "2025-07-01T09:00:00Z",
            "labels": {"bug": "red", "ui": "blue"},
            "tags": " q3, finance,, urgent ",
        },
        parameters={
            "projectId": "p1",
            "title": "Write the report",
            "priority": "high",
            "additionalFields": {
                "description": "Quarterly numbers",
                "assigneeEmail": "ann@example.com",
                "estimateHours": 2.5,
                "dueDate": "2025-07-01T09:00:00Z",
                "labels": {
                    "label": [
                        {"name": "bug", "color": "red"},
                        {"name": "ui", "color": "green"},
                        {"name": "ui", "color": "blue"},
                    ]
                },
                "tags": " q3, finance,, urgent ",
            },
        },
        method="POST",
        targets=["/api/projects/p1/tasks"],
        body=FULL_CREATE_BODY,
        items=[{**FULL_CREATE_BODY, "id": "t8", "projectId": "p1"}],
        split=False,
    ),
    Case(
        "create-minimal",
        "task",
        "create",
        kwargs={"project_id": "p2", "title": "Tiny", "done": True},
        parameters={"projectId": "p2", "title": "Tiny", "done": True, "additionalFields": {}},
        method="POST",
        targets=["/api/projects/p2/tasks"],
        body={"source": "nodegen", "meta": {"schema": 2}, "title": "Tiny", "priority": "normal", "done": True},
        items=[
            {
                "source": "nodegen",
                "meta": {"schema": 2},
                "title": "Tiny",
                "priority": "normal",
                "done": True,
                "id": "t8",
                "projectId": "p2",
            }
        ],
        split=False,
    ),
    Case(
        "create-top-level-fixed-collection",
        "task",
        "create",
        kwargs={"project_id": "p2", "title": "Custom", "custom_fields": {"sprint": 4, "team": "core"}},
        parameters={
            "projectId": "p2",
            "title": "Custom",
            "customFields": {"field": [{"name": "sprint", "value": 4}, {"name": "team", "value": "core"}]},
        },
        method="POST",
        targets=["/api/projects/p2/tasks"],
        body={
            "source": "nodegen",
            "meta": {"schema": 2},
            "title": "Custom",
            "priority": "normal",
            "done": False,
            "custom": {"sprint": 4, "team": "core"},
        },
        items=[
            {
                "source": "nodegen",
                "meta": {"schema": 2},
                "title": "Custom",
                "priority": "normal",
                "done": False,
                "custom": {"sprint": 4, "team": "core"},
                "id": "t8",
                "projectId": "p2",
            }
        ],
        split=False,
    ),
    Case(
        "get",
        "task",
        "get",
        kwargs={"task_id": "t2"},
        parameters={"taskId": "t2"},
        method="GET",
        targets=["/api/tasks/t2"],
        items=[seeded(2)],
        split=False,
    ),
    Case(
        "getAll-return-all",
        "task",
        "getAll",
        kwargs={"project_id": "p1", "return_all": True, "status": "open"},
        parameters={"projectId": "p1", "returnAll": True, "filters": {"status": "open"}},
        method="GET",
        targets=[
            "/api/projects/p1/tasks?status=open&page=1&per_page=3",
            "/api/projects/p1/tasks?status=open&page=2&per_page=3",
        ],
        items=[seeded(i) for i in (1, 2, 3, 5, 6)],
    ),
    Case(
        "getAll-limit-and-filters",
        "task",
        "getAll",
        kwargs={"project_id": "p1", "limit": 4, "status": "all", "search": "task", "include_archived": True},
        parameters={
            "projectId": "p1",
            "limit": 4,
            "filters": {"status": "all", "search": "task", "includeArchived": True},
        },
        method="GET",
        targets=[
            "/api/projects/p1/tasks?q=task&archived=true&page=1&per_page=3",
            "/api/projects/p1/tasks?q=task&archived=true&page=2&per_page=3",
        ],
        items=[seeded(i) for i in (1, 2, 3, 4)],
    ),
    Case(
        "update-fields",
        "task",
        "update",
        kwargs={"task_id": "t3", "title": "Renamed", "done": True},
        parameters={"taskId": "t3", "updateFields": {"title": "Renamed", "done": True}},
        method="PATCH",
        targets=["/api/tasks/t3"],
        body={"meta": {"via": "fields"}, "title": "Renamed", "done": True},
        items=[{**seeded(3), "title": "Renamed", "done": True, "meta": {"via": "fields"}}],
        split=False,
    ),
    Case(
        "update-json",
        "task",
        "update",
        kwargs={"task_id": "t3", "update_mode": "json", "update_json": '{"priority": "low", "done": true}'},
        parameters={
            "taskId": "t3",
            "updateMode": "json",
            "updateJson": '{"priority": "low", "done": true}',
            "updateFields": {"title": "ignored"},
        },
        method="PATCH",
        targets=["/api/tasks/t3"],
        body={"priority": "low", "done": True},
        items=[{**seeded(3), "priority": "low", "done": True}],
        split=False,
    ),
    Case(
        "delete",
        "task",
        "delete",
        kwargs={"task_id": "t5"},
        parameters={"taskId": "t5"},
        method="DELETE",
        targets=["/api/tasks/t5"],
        items=[{"deleted": True}],
        split=False,
    ),
    Case(
        "comments-limit-first-page",
        "comment",
        "getAll",
        kwargs={"task_id": "t1", "limit": 2},
        parameters={"taskId": "t1", "limit": 2},
        method="GET",
        targets=["/api/tasks/t1/comments?offset=0"],
        items=[{"id": "c1", "taskId": "t1"}, {"id": "c2", "taskId": "t1"}],
    ),
    Case(
        "comments-return-all-uneven-pages",
        "comment",
        "getAll",
        kwargs={"task_id": "t1", "return_all": True},
        parameters={"taskId": "t1", "returnAll": True},
        method="GET",
        targets=[f"/api/tasks/t1/comments?offset={n}" for n in (0, 3, 5, 9)],
        items=[{"id": f"c{i}", "taskId": "t1"} for i in range(1, 10)],
    ),
    Case(
        "projects-return-all",
        "project",
        "getAll",
        kwargs={"return_all": True},
        parameters={"returnAll": True},
        method="GET",
        targets=["/api/projects?offset=0&count=2", "/api/projects?offset=2&count=2", "/api/projects?offset=4&count=2"],
        items=[{"id": f"p{i}", "name": f"Project {i}"} for i in range(1, 6)],
    ),
    Case(
        "projects-default-limit",
        "project",
        "getAll",
        kwargs={},
        parameters={},
        method="GET",
        targets=["/api/projects?offset=0&count=2", "/api/projects?offset=2&count=2"],
        items=[{"id": f"p{i}", "name": f"Project {i}"} for i in range(1, 4)],
    ),
    Case(
        "archive-put-echoes-body",
        "project",
        "archive",
        kwargs={"project_id": "p2", "reason": "Wrapped up ✓"},
        parameters={"projectId": "p2", "reason": "Wrapped up ✓"},
        method="PUT",
        targets=["/api/projects/p2/archive"],
        body={"archived": True, "reason": "Wrapped up ✓"},
        items=[{"projectId": "p2", "archived": True, "reason": "Wrapped up ✓"}],
        split=False,
    ),
]


@pytest.mark.parametrize(("case", "mode"), params(CASES))
def test_operation(tasktracker: ModuleType, task_server: TaskServer, case: Case, mode: str) -> None:
    journal = check_case(tasktracker, task_server, case, mode, CREDS)
    for request in journal:
        assert request.headers["x-api-key"] == TASKS_KEY
        assert "authorization" not in request.headers and "key" not in request.args


def test_every_operation_has_a_case(tasktracker: ModuleType) -> None:
    assert set(tasktracker._node.OPERATIONS) == {f"{c.resource}.{c.operation}" for c in CASES}


def test_state_changes_are_visible(tasktracker: ModuleType, task_server: TaskServer) -> None:
    with tasktracker.Client(api_key=TASKS_KEY, base_urls={"api": task_server.base}) as client:
        created = client.task.create(project_id="p3", title="New")
        assert client.task.get(task_id=created["id"])["title"] == "New"
        assert client.task.delete(task_id=created["id"]) == {"deleted": True}
        with pytest.raises(tasktracker.NotFoundError) as caught:
            client.task.get(task_id=created["id"])
    assert caught.value.status == 404 and caught.value.api_message == "task 't8' not found"
    assert [r.method for r in task_server.journal] == ["POST", "GET", "DELETE", "GET"]


def test_path_values_are_encoded_as_one_segment(tasktracker: ModuleType, task_server: TaskServer) -> None:
    with (
        tasktracker.Client(api_key=TASKS_KEY, base_urls={"api": task_server.base}) as client,
        pytest.raises(tasktracker.NotFoundError),
    ):
        client.task.get(task_id="../projects/p1 x?y")
    assert task_server.journal[0].target == "/api/tasks/..%2Fprojects%2Fp1%20x%3Fy"


def test_workspace_placeholder_in_the_base_url(tasktracker: ModuleType) -> None:
    node = tasktracker._node.NODE
    for given, expected in ((None, "https://main.tasks.example/api"), ("acme", "https://acme.tasks.example/api")):
        with tasktracker.Client(api_key=TASKS_KEY, workspace=given) as client:
            assert client._session.base_url(node.base("api")) == expected


# ---- pagination ----


@pytest.mark.parametrize(
    ("tasks", "kwargs", "pages", "count"),
    [
        (7, {"return_all": True}, [1, 2, 3], 7),  # 3 + 3 + 1: a short page ends it
        (6, {"return_all": True}, [1, 2, 3], 6),  # 3 + 3 + 0: an empty page ends it
        (0, {"return_all": True}, [1], 0),
        (7, {}, [1, 2], 5),  # the default limit, 5: stops once 5 are collected
        (7, {"limit": 3}, [1], 3),  # exactly one page
        (7, {"limit": 100}, [1, 2, 3], 7),  # a limit above the total fetches everything
        (30, {"limit": 1}, [1], 1),
    ],
)
def test_page_pagination(
    tasktracker: ModuleType, tasks: int, kwargs: dict[str, Any], pages: list[int], count: int
) -> None:
    with TaskServer(tasks_in_p1=tasks) as server:
        with tasktracker.Client(api_key=TASKS_KEY, base_urls={"api": server.base}) as client:
            items = client.task.get_all(project_id="p1", status="all", include_archived=True, **kwargs)
        assert [r.args for r in server.journal] == [
            {"page": str(p), "per_page": "3", "archived": "true"} for p in pages
        ]
        assert [i["id"] for i in items] == [f"t{i}" for i in range(1, count + 1)]


def test_pagination_through_execute_and_async(tasktracker: ModuleType) -> None:
    with TaskServer(projects=11) as server:
        result = tasktracker.execute(
            {"resource": "project", "operation": "getAll", "returnAll": "={{ $json.all }}", "limit": "={{ $json.n }}"},
            [{"json": {"all": True, "n": 1}}, {"json": {"all": False, "n": 5}}],
            CREDS,
            base_urls={"api": server.base},
        )
        offsets = [r.args["offset"] for r in server.journal]
        assert offsets == ["0", "2", "4", "6", "8", "10"] + ["0", "2", "4"]
        paired = [(i["json"]["id"], i["pairedItem"]["item"]) for i in result.main]
        assert paired == [(f"p{n}", 0) for n in range(1, 12)] + [(f"p{n}", 1) for n in range(1, 6)]

        async def go() -> list[dict[str, Any]]:
            async with tasktracker.AsyncClient({"apiKey": TASKS_KEY}, base_urls={"api": server.base}) as client:
                return await client.project.get_all(limit=4)

        assert [p["id"] for p in asyncio.run(go())] == ["p1", "p2", "p3", "p4"]


def test_limit_does_not_apply_with_return_all(tasktracker: ModuleType, task_server: TaskServer) -> None:
    with (
        tasktracker.Client(api_key=TASKS_KEY, base_urls={"api": task_server.base}) as client,
        pytest.raises(tasktracker.ValidationError, match="limit: does not apply here"),
    ):
        client.task.get_all(project_id="p1", return_all=True, limit=2)
    assert task_server.journal == []
    # execute() ignores a parameter that does not apply, as n8n does
    result = tasktracker.execute(
        {
            "resource": "task",
            "operation": "getAll",
            "projectId": "p1",
            "returnAll": True,
            "limit": 2,
            "filters": {"status": "open"},
        },
        None,
        CREDS,
        base_urls={"api": task_server.base},
    )
    assert len(result.main) == 5


def test_collection_options_not_added_are_not_sent(tasktracker: ModuleType, task_server: TaskServer) -> None:
    tasktracker.execute(
        {"resource": "task", "operation": "getAll", "projectId": "p1", "returnAll": True, "filters": {}},
        None,
        CREDS,
        base_urls={"api": task_server.base},
    )
    assert "status" not in task_server.journal[0].args


# ---- n8n runs: several items, display conditions, errors ----


def test_items_with_expressions_and_continue_on_error(tasktracker: ModuleType, task_server: TaskServer) -> None:
    items = [
        {"json": {"title": "First", "email": "a@example.com", "hours": 1}},
        {"json": {"title": "Second", "email": "not-an-email", "hours": 2}},
        {"json": {"title": "Third", "email": "c@example.com", "hours": 3}},
    ]
    result = tasktracker.execute(
        {
            "resource": "task",
            "operation": "create",
            "projectId": "p4",
            "title": "=Task: {{ $json.title }}",
            "additionalFields": {"assigneeEmail": "={{ $json.email }}", "estimateHours": "={{ $json.hours }}"},
        },
        items,
        CREDS,
        {"onError": "continueRegularOutput"},
        base_urls={"api": task_server.base},
    )
    assert [r.body["title"] for r in task_server.journal] == ["Task: First", "Task: Third"]
    assert [r.body["meta"] for r in task_server.journal] == [{"schema": 2, "estimate": 1}, {"schema": 2, "estimate": 3}]
    ok, failed, ok2 = result.main
    assert ok["json"]["id"] == "t8" and ok["pairedItem"] == {"item": 0}
    assert failed["json"]["errorType"] == "ValidationError" and failed["json"]["parameters"] == ["assigneeEmail"]
    assert failed["pairedItem"] == {"item": 1}
    assert ok2["json"]["id"] == "t9" and ok2["pairedItem"] == {"item": 2}


def test_execute_once_and_stop_on_error(tasktracker: ModuleType, task_server: TaskServer) -> None:
    params = {"resource": "task", "operation": "get", "taskId": "={{ $json.id }}"}
    base = {"api": task_server.base}
    once = tasktracker.execute(
        params, [{"json": {"id": "t1"}}, {"json": {"id": "t2"}}], CREDS, {"executeOnce": True}, base_urls=base
    )
    assert [i["json"]["id"] for i in once.main] == ["t1"]
    with pytest.raises(tasktracker.ItemError) as caught:
        tasktracker.execute(
            params, [{"json": {"id": "t1"}}, {"json": {"id": "nope"}}, {"json": {"id": "t2"}}], CREDS, base_urls=base
        )
    assert caught.value.item_index == 1 and isinstance(caught.value.cause, tasktracker.NotFoundError)
    assert [r.path for r in task_server.journal] == ["/api/tasks/t1", "/api/tasks/t1", "/api/tasks/nope"]


# ---- validation happens before any request ----

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("task.create", {"title": "x"}, "projectId"),
    ("task.create", {"projectId": "", "title": "x"}, "projectId"),
    ("task.create", {"projectId": "p1"}, "title"),
    ("task.create", {"projectId": "p1", "title": ""}, "title"),
    ("task.create", {"projectId": "p1", "title": "x" * 201}, "title"),
    ("task.create", {"projectId": "p1", "title": "x", "priority": "urgent"}, "priority"),
    ("task.create", {"projectId": "p1", "title": "x", "additionalFields": {"assigneeEmail": "ann"}}, "assigneeEmail"),
    ("task.create", {"projectId": "p1", "title": "x", "additionalFields": {"estimateHours": -1}}, "estimateHours"),
    ("task.create", {"projectId": "p1", "title": "x", "additionalFields": {"tags": "a,b,c,d"}}, "tags"),
    ("task.getAll", {"projectId": "p1", "limit": 0}, "limit"),
    ("task.getAll", {"projectId": "p1", "limit": 101}, "limit"),
    ("task.getAll", {"projectId": "p1", "filters": {"status": "closed"}}, "status"),
    ("task.update", {"taskId": "t1", "updateMode": "json", "updateJson": '{"owner": "bob"}'}, "updateJson"),
    ("task.update", {"taskId": "t1", "updateMode": "json", "updateJson": "[1, 2]"}, "updateJson"),
    ("task.update", {"taskId": "t1", "updateMode": "json", "updateJson": "{not json"}, "updateJson"),
    ("task.update", {"taskId": "t1", "updateFields": {"priority": "urgent"}}, "priority"),
    ("task.update", {"taskId": "t1", "updateMode": "yaml"}, "updateMode"),
    ("project.getAll", {"limit": 51}, "limit"),
    ("project.archive", {"projectId": "p1", "reason": "é" * 26}, "reason"),  # 52 UTF-8 bytes > 50
]


@pytest.mark.parametrize(
    ("operation", "parameters", "blamed"), INVALID, ids=[f"{o}-{b}-{i}" for i, (o, _, b) in enumerate(INVALID)]
)
def test_invalid_parameters_fail_before_any_request(
    tasktracker: ModuleType, task_server: TaskServer, operation: str, parameters: dict[str, Any], blamed: str
) -> None:
    resource, op = operation.split(".")
    with pytest.raises(tasktracker.ItemError) as caught:
        tasktracker.execute(
            {"resource": resource, "operation": op, **parameters}, None, CREDS, base_urls={"api": task_server.base}
        )
    cause = caught.value.cause
    assert isinstance(cause, tasktracker.ValidationError), cause
    assert blamed in cause.parameters
    assert task_server.journal == []


def test_typed_client_validation_and_display_conditions(tasktracker: ModuleType, task_server: TaskServer) -> None:
    with tasktracker.Client(api_key=TASKS_KEY, base_urls={"api": task_server.base}) as client:
        with pytest.raises(tasktracker.ValidationError, match="updateJson: does not apply here"):
            client.task.update(task_id="t1", update_json={"done": True})
        with pytest.raises(tasktracker.ValidationError, match="title: does not apply here"):
            client.task.update(task_id="t1", update_mode="json", update_json={"done": True}, title="x")
        with pytest.raises(tasktracker.ValidationError, match="tags"):
            client.task.create(project_id="p1", title="x", tags=["a", "b", "c", "d"])
        with pytest.raises(tasktracker.ValidationError, match="reason"):
            client.project.archive(project_id="p1", reason="x" * 51)
    assert task_server.journal == []


# ---- secrets ----


def test_secret_never_in_reprs_or_errors(tasktracker: ModuleType, task_server: TaskServer) -> None:
    with tasktracker.Client(api_key=TASKS_KEY, workspace="acme") as client:
        assert TASKS_KEY not in repr(client) and "acme" in repr(client)
    wrong = "tt-wrong-key-77"
    with (
        tasktracker.Client(api_key=wrong, base_urls={"api": task_server.base}) as client,
        pytest.raises(tasktracker.AuthenticationError) as caught,
    ):
        client.task.get(task_id="t1")
    assert task_server.journal[0].headers["x-api-key"] == wrong  # sent, and echoed back by the server
    assert wrong not in str(caught.value) and "'***'" in caught.value.api_message
    result = tasktracker.execute(
        {"resource": "task", "operation": "get", "taskId": "t1"},
        None,
        {"apiKey": wrong},
        {"onError": "continueErrorOutput"},
        base_urls={"api": task_server.base},
    )
    assert result.main == [] and wrong not in json.dumps(result.error)
    assert result.error[0]["json"]["status"] == 401


# ---- CLI ----


def test_cli_create_with_collections(shapes_root: Path, task_server: TaskServer) -> None:
    done = run_cli(
        shapes_root,
        "tasktracker",
        "task",
        "create",
        "--project-id",
        "p1",
        "--title",
        "From CLI",
        "--priority",
        "low",
        "--done",
        "true",
        "--labels",
        "bug=red",
        "--labels",
        "ui=blue",
        "--custom-fields",
        "sprint=4",
        "--tags",
        "a, b",
        "--estimate-hours",
        "1.5",
        "--base-url",
        f"api={task_server.base}",
        env={"TASKS_API_KEY": TASKS_KEY},
    )
    assert done.returncode == 0, done.stderr
    sent = task_server.journal[0]
    assert (sent.method, sent.target) == ("POST", "/api/projects/p1/tasks")
    expected = {
        "source": "nodegen",
        "meta": {"schema": 2, "estimate": 1.5, "labels": {"bug": "red", "ui": "blue"}},
        "title": "From CLI",
        "priority": "low",
        "done": True,
        "custom": {"sprint": "4"},
        "tags": ["a", "b"],
    }
    assert sent.body == expected
    assert json.loads(done.stdout) == {**expected, "id": "t8", "projectId": "p1"}
    assert TASKS_KEY not in done.stdout + done.stderr


def test_cli_paginated_list(shapes_root: Path, task_server: TaskServer) -> None:
    done = run_cli(
        shapes_root,
        "tasktracker",
        "project",
        "getAll",
        "--return-all",
        "true",
        "--api-key",
        TASKS_KEY,
        "--base-url",
        f"api={task_server.base}",
    )
    assert done.returncode == 0, done.stderr
    assert [p["id"] for p in json.loads(done.stdout)] == ["p1", "p2", "p3", "p4", "p5"]
    assert len(task_server.journal) == 3


def test_cli_validation_and_auth_errors(shapes_root: Path, task_server: TaskServer) -> None:
    base = ["--base-url", f"api={task_server.base}"]
    bad = run_cli(
        shapes_root,
        "tasktracker",
        "task",
        "getAll",
        "--project-id",
        "p1",
        "--limit",
        "0",
        *base,
        env={"TASKS_API_KEY": TASKS_KEY},
    )
    assert bad.returncode == 2 and "--limit" in bad.stderr
    missing = run_cli(shapes_root, "tasktracker", "task", "get", "--task-id", "t1", *base)
    assert missing.returncode == 2 and "apiKey" in missing.stderr
    assert task_server.journal == []
