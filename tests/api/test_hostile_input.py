"""Input built to break parsers (huge numbers, deep nesting) is a 4xx ErrorResponse, never a 500."""

from typing import Any

import pytest

from tests.api.conftest import EXAMPLES, Stack, hello_form, workflow_form

NINES = "9" * 5000
"""Past Python's 4300-digit limit on int conversion."""
WDL = (EXAMPLES / "hello-world.wdl").read_bytes()


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def deep_text(depth: int) -> str:
    # Built as text: json.dumps itself cannot write 5,000 levels.
    return "[" * depth + '"leaf"' + "]" * depth


async def succeeded_task(stack: Stack) -> tuple[str, str]:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=0)
    task = (await stack.wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"][0]
    return run_id, f"runs/{run_id}/logs/task/{task['id']}/stdout"


async def test_range_positions_of_thousands_of_digits(stack: Stack) -> None:
    """RFC 9110 bounds no position: a last byte past the end means "to the end" (206), a first
    byte past the end is unsatisfiable (416)."""
    _, log = await succeeded_task(stack)
    whole = await stack.wes.get(log, expect=200)
    size = len(whole.body)
    for header in (f"bytes=0-{NINES}", f"bytes=-{NINES}", f"bytes=0{'0' * 3000}-{NINES[:4400]}"):
        reply = await stack.wes.get(log, headers={"Range": header}, expect=206)
        assert reply.body == whole.body
        assert reply.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    reply = await stack.wes.get(log, headers={"Range": f"bytes={NINES}-"}, expect=416)
    assert reply.json["status_code"] == 416
    assert reply.headers["Content-Range"] == f"bytes */{size}"


async def test_range_of_the_run_failures_document(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Failed", shards=0)
    path = f"runs/{run_id}/logs/stderr"
    whole = await stack.wes.get(path, expect=200)
    reply = await stack.wes.get(path, headers={"Range": f"bytes=1-{NINES}"}, expect=206)
    assert reply.body == whole.body[1:]


async def test_a_legacy_log_index_of_thousands_of_digits_is_404(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=0)
    tasks = (await stack.wes.get(f"runs/{run_id}/tasks", expect=200)).json["task_logs"]
    call = tasks[0]["name"]
    first = await stack.wes.get(f"runs/{run_id}/logs/task/{call}/000/stdout", expect=200)
    assert first.body
    reply = await stack.wes.get(f"runs/{run_id}/logs/task/{call}/{NINES}/stdout", expect=404)
    assert reply.json["status_code"] == 404


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(f"page_size={NINES}", id="page_size-5000-digits"),
        pytest.param(f"page_size=-{NINES}", id="page_size-minus-5000-digits"),
        pytest.param("page_size=1e999", id="page_size-float"),
        pytest.param("page_size=nan", id="page_size-nan"),
        pytest.param(f"page_token={NINES}", id="page_token-digits"),
        pytest.param(f"page_token={'A' * 5000}", id="page_token-long"),
        pytest.param(f"submitted_after={NINES}", id="submitted_after-digits"),
        pytest.param(
            f"submitted_before=9999-12-31T23:59:59.{NINES[:4000]}Z", id="submitted_before-fraction"
        ),
        pytest.param(f"state={NINES}", id="state-digits"),
        # Valid RFC 3339, but before the first or after the last instant Python holds in UTC.
        pytest.param("submitted_after=0001-01-01T00:00:00%2B14:00", id="before-year-1-utc"),
        pytest.param("submitted_before=9999-12-31T23:59:59-14:00", id="after-year-9999-utc"),
    ],
)
async def test_list_queries_that_are_out_of_any_range_are_400(stack: Stack, query: str) -> None:
    reply = await stack.wes.get(f"runs?{query}", expect=400)
    assert query.split("=")[0] in reply.json["msg"]


async def test_a_json_body_nested_5000_deep_is_400(stack: Stack) -> None:
    headers = {"Content-Type": "application/json"}
    for body in (
        deep_text(5000),
        '{"workflow_url": "https://example.org/x.wdl", "workflow_params": {"a": '
        + deep_text(5000)
        + "}}",
        '{"workflow_url": "https://example.org/x.wdl", "workflow_params": {"a": '
        + deep_text(100)
        + "}}",
    ):
        reply = await stack.wes.post("runs", data=body, headers=headers, expect=400)
        assert "nests deeper than" in reply.json["msg"]


@pytest.mark.parametrize("field", ["workflow_params", "tags", "workflow_engine_parameters"])
async def test_form_fields_nested_5000_deep_are_400(stack: Stack, field: str) -> None:
    form = workflow_form(
        "hello-world.wdl", {"hello-world.wdl": WDL}, extra={field: '{"a": ' + deep_text(5000) + "}"}
    )
    reply = await stack.wes.post("runs", data=form, expect=400)
    assert field in reply.json["msg"]
    assert "nests deeper than 64 levels" in reply.json["msg"]


async def test_an_options_file_nested_5000_deep_is_400(stack: Stack) -> None:
    options = ('{"default_runtime_attributes": ' + deep_text(5000) + "}").encode()
    reply = await stack.wes.post(
        "runs", data=hello_form(attachments={"options.json": options}), expect=400
    )
    assert "options.json" in reply.json["msg"]


async def test_inputs_nested_64_deep_are_taken(stack: Stack) -> None:
    """The limit leaves real inputs alone: 64 levels, the documented maximum, still run."""
    params = {"hello_world.name": "deep", "hello_world.extra": nested(63)}
    run_id = await stack.wes.submit(hello_form(params=params))
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["request"]["workflow_params"] == params
    too_deep = {"hello_world.extra": nested(64)}
    reply = await stack.wes.post("runs", data=hello_form(params=too_deep), expect=400)
    assert "nests deeper than 64 levels" in reply.json["msg"]
