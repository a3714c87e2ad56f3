"""Task logs in call, shard, attempt order for a real 15-shard scatter (issue 13 item 10)."""

import pytest

from tests.api.conftest import Stack, example_form

pytestmark = pytest.mark.wdl


async def test_a_15_shard_scatter_lists_its_shards_in_order(wdl_stack: Stack) -> None:
    wes = wdl_stack.wes
    run_id = await wes.submit(
        example_form("scatter.wdl", params={"squares.numbers": list(range(1, 16))})
    )
    assert await wes.wait_for_state(run_id, {"COMPLETE", "EXECUTOR_ERROR"}) == "COMPLETE"
    log = (await wes.get(f"runs/{run_id}", expect=200)).json
    expected = [f"squares.square:{shard}@1" for shard in range(15)] + ["squares.total@1"]
    assert [task["id"] for task in log["task_logs"]] == expected
    paged: list[str] = []
    token = ""
    while True:
        query = "page_size=4" + (f"&page_token={token}" if token else "")
        page = (await wes.get(f"runs/{run_id}/tasks?{query}", expect=200)).json
        paged += [task["id"] for task in page["task_logs"]]
        if not (token := page["next_page_token"]):
            break
    assert paged == expected
