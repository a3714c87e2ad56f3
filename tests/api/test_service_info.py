import asyncio
import time

from tests.api.conftest import MakeStack, Stack


async def test_service_info_is_complete(stack: Stack) -> None:
    info = (await stack.wes.get("service-info", expect=200)).json
    assert info["type"] == {"group": "org.ga4gh", "artifact": "wes", "version": "1.1.0"}
    assert info["workflow_type_versions"]["WDL"]["workflow_type_version"] == [
        "draft-2", "1.0", "1.1",
    ]  # fmt: skip
    assert info["workflow_engine_versions"] == {"cromwell": {"workflow_engine_version": ["87"]}}
    assert "1.1.0" in info["supported_wes_versions"]
    assert info["tags"]["cromwell-options-attachment-name"] == "options.json"
    assert info["auth_instructions_url"] == info["auth_instruction_url"]


async def test_state_counts_come_from_count_queries(stack: Stack) -> None:
    await stack.synthetic(count=3, status="Running")
    await stack.synthetic(count=2, status="Succeeded")
    await stack.synthetic(count=1, status="On Hold")
    counts = (await stack.wes.get("service-info", expect=200)).json["system_state_counts"]
    assert counts["RUNNING"] == 3
    assert counts["COMPLETE"] == 2
    assert counts["PAUSED"] == 1
    assert counts["SYSTEM_ERROR"] == 0
    queries = await stack.requests_to_cromwell("/query")
    assert queries, "counts must come from Cromwell's query API"
    for query in queries:
        params = dict(query["query"])
        assert params["pageSize"] == "1"
        assert params["includeSubworkflows"] == "false"


async def test_service_info_survives_cromwell_down(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"cromwell": {"url": "http://127.0.0.1:9"}})
    info = (await stack.wes.get("service-info", expect=200)).json
    assert info["workflow_engine_versions"]["cromwell"]["workflow_engine_version"] == []
    assert info["system_state_counts"] == {}


async def test_the_kept_document_shows_counts_loaded_again(make_stack: MakeStack) -> None:
    # The rendered document is kept while the held counts are the same: it must still show
    # the counts loaded once those expire (cache.state_counts_ttl).
    stack = await make_stack(settings={"cache": {"state_counts_ttl": 0.2}})
    await stack.synthetic(count=1, status="Running")
    first = await stack.wes.get("service-info", expect=200)
    assert first.json["system_state_counts"]["RUNNING"] == 1
    assert (await stack.wes.get("service-info", expect=200)).body == first.body
    await stack.synthetic(count=2, status="Running")
    deadline = time.monotonic() + 10
    while (await stack.wes.get("service-info", expect=200)).json["system_state_counts"][
        "RUNNING"
    ] != 3:
        assert time.monotonic() < deadline, "service-info kept showing the counts it had"
        await asyncio.sleep(0.05)
