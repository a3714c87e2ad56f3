from urllib.parse import quote

from tests.api.conftest import MakeStack, Stack, hello_form


async def test_task_pages_cover_every_shard_and_attempt_once(stack: Stack) -> None:
    [run_id] = await stack.synthetic(
        count=1, status="Succeeded", shards=25, retries={"3": 2}, subworkflows=2
    )
    seen: list[str] = []
    token = ""
    while True:
        path = f"runs/{run_id}/tasks?page_size=7" + (f"&page_token={token}" if token else "")
        page = (await stack.wes.get(path, expect=200)).json
        assert len(page["task_logs"]) <= 7
        seen += [task["id"] for task in page["task_logs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert len(seen) == 25 + 2 + 2, "25 shards, 2 extra attempts of shard 3, 2 sub-workflow tasks"
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert [task["id"] for task in log["task_logs"]] == seen, "same order as RunLog.task_logs"


async def test_one_task_by_id(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=3)
    first = (await stack.wes.get(f"runs/{run_id}/tasks?page_size=1", expect=200)).json
    task = first["task_logs"][0]
    reply = await stack.wes.get(f"runs/{run_id}/tasks/{quote(task['id'], safe='')}", expect=200)
    assert reply.json == task
    await stack.wes.get(f"runs/{run_id}/tasks/no.such@1", expect=404)


async def test_run_log_points_to_tasks_above_the_inline_limit(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"runs": {"task_logs_inline_limit": 10}})
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=11)
    log = (await stack.wes.get(f"runs/{run_id}", expect=200)).json
    assert log["task_logs"] is None
    tasks = (await stack.wes.get(f"runs/{run_id}/tasks?page_size=100", expect=200)).json
    assert len(tasks["task_logs"]) == 11


async def test_metadata_asks_only_for_the_keys_tasks_need(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=2)
    await stack.wes.get(f"runs/{run_id}/tasks", expect=200)
    [request] = await stack.requests_to_cromwell(f"/{run_id}/metadata")
    keys = [value for key, value in request["query"] if key == "includeKey"]
    assert "executionStatus" in keys
    assert "callCaching" not in keys
    assert "runtimeAttributes" not in keys
    assert ["expandSubWorkflows", "true"] in request["query"]


async def test_finished_runs_are_served_from_cache(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=2)
    for _ in range(3):
        await stack.wes.get(f"runs/{run_id}/tasks", expect=200)
        await stack.wes.get(f"runs/{run_id}", expect=200)
    assert len(await stack.requests_to_cromwell(f"/{run_id}/metadata")) == 1


async def test_tasks_of_bad_token_are_400(stack: Stack) -> None:
    [run_id] = await stack.synthetic(count=1, status="Succeeded", shards=3)
    [other] = await stack.synthetic(count=1, status="Succeeded", shards=3)
    token = (await stack.wes.get(f"runs/{run_id}/tasks?page_size=1", expect=200)).json[
        "next_page_token"
    ]
    await stack.wes.get(f"runs/{other}/tasks?page_token={token}", expect=400)


async def test_running_runs_are_not_served_stale(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"cache": {"running_ttl": 0}})
    run_id = await stack.wes.submit(hello_form())
    await stack.move(run_id, "Running")
    assert (await stack.wes.get(f"runs/{run_id}", expect=200)).json["state"] == "RUNNING"
    await stack.move(run_id, "Succeeded")
    assert (await stack.wes.get(f"runs/{run_id}", expect=200)).json["state"] == "COMPLETE"
    assert len(await stack.requests_to_cromwell(f"/{run_id}/metadata")) == 2
