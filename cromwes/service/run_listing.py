"""One page of `GET /runs`: Cromwell queries planned by `translate.listing`, tokens signed."""

from cromwes.cromwell.client import CromwellClient
from cromwes.models import RunListResponse
from cromwes.translate.listing import (
    RunFilters,
    next_below,
    page_plan,
    page_rows,
    run_summary,
    runs_only,
    submitted_before,
)
from cromwes.translate.pagination import decode_token, encode_token


async def run_page(
    client: CromwellClient,
    filters: RunFilters,
    *,
    page_size: int,
    page_token: str | None,
    key: bytes,
    hidden_labels: frozenset[str],
) -> RunListResponse:
    scope = filters.scope()
    below = decode_token(page_token, scope=scope, key=key) if page_token else None
    if below == 0 or filters.matches_nothing:
        return RunListResponse(runs=(), next_page_token="")
    if below is None and (count_params := filters.count_params_after_bound()) is not None:
        below = await _submitted_before_bound(client, filters, count_params)
        if below == 0:
            return RunListResponse(runs=(), next_page_token="")
    plan = page_plan(below, page_size)
    answer = await client.query([*filters.query_params(), *plan.params()])
    rows = page_rows(plan, answer["results"])
    following = next_below(plan, total=int(answer["totalResultsCount"]), returned=len(rows))
    rows = runs_only(rows)
    if filters.submitted_before is not None:
        # The bound is exact when Cromwell's row order is submission order; this keeps the
        # promise on the page itself when it is not.
        rows = submitted_before(rows, filters.submitted_before)
    return RunListResponse(
        runs=tuple(run_summary(row, hidden_labels) for row in rows),
        next_page_token=encode_token(following, scope=scope, key=key) if following else "",
    )


async def _submitted_before_bound(
    client: CromwellClient, filters: RunFilters, count_params: list[tuple[str, str]]
) -> int:
    everything = await client.query([*filters.query_params(), ("pageSize", "1")])
    after = await client.query(count_params)
    return max(int(everything["totalResultsCount"]) - int(after["totalResultsCount"]), 0)
