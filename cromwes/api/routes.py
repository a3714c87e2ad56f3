"""The whole HTTP API of cromwes on one screen."""

from aiohttp import web

from cromwes.api import (
    batches,
    discovery,
    events,
    files,
    health,
    logs,
    metrics,
    rocrate,
    runs,
    service_info,
    tasks,
    ui,
)
from cromwes.appkeys import SETTINGS
from cromwes.models import BASE_PATH as WES

RUN = f"{WES}/runs/{{run_id}}"
BATCH = f"{WES}/batches/{{batch_id}}"


def add_routes(app: web.Application) -> None:
    app.router.add_routes(
        [
            web.get(f"{WES}/service-info", service_info.get_service_info),
            web.get(f"{WES}/runs", runs.list_runs),
            web.post(f"{WES}/runs", runs.submit_run),
            web.get(RUN, runs.get_run_log),
            web.get(f"{RUN}/status", runs.get_run_status),
            web.post(f"{RUN}/cancel", runs.cancel_run),
            web.get(f"{RUN}/tasks", tasks.list_tasks),
            web.get(f"{RUN}/tasks/{{task_id}}", tasks.get_task),
            # Extensions: the log URLs written into run logs and task logs.
            web.get(f"{RUN}/logs/stderr", logs.run_stderr),
            web.get(f"{RUN}/logs/task/{{task_id}}/{{stream:stdout|stderr}}", logs.task_stream),
            web.get(
                f"{RUN}/logs/task/{{task_name}}/{{index:\\d+}}/{{stream:stdout|stderr}}",
                logs.legacy_task_stream,
            ),
            # Extensions: the run's files, as the reference service offers them.
            web.get(f"{RUN}/files", files.list_files),
            web.get(f"{RUN}/file", files.get_file),
            web.delete(f"{RUN}/files", files.delete_files),
            web.get(f"{RUN}/ro-crate", rocrate.get_ro_crate),
            # Extensions: batches, one workflow over many inputs.
            web.post(f"{WES}/batches", batches.submit),
            web.get(BATCH, batches.get_batch),
            web.post(f"{BATCH}/cancel", batches.cancel_batch),
            # Extensions: server-sent events of one run, and of every run the caller may list.
            web.get(f"{RUN}/events", events.run_events),
            web.get(f"{WES}/events", events.events),
        ]
    )
    # Operations and discovery (extensions; paths of DNAstack's service kept for its probes).
    app.router.add_routes(
        [
            web.get("/", discovery.root),
            web.get("/services", discovery.services),
            web.get("/health/live", health.liveness),
            web.get("/health/ready", health.readiness),
            web.get("/actuator/health", health.readiness),
            web.get("/actuator/health/liveness", health.liveness),
            web.get("/actuator/health/readiness", health.readiness),
            web.get("/actuator/info", health.info),
        ]
    )
    if app[SETTINGS].ui.enabled:
        ui.add_ui_routes(app)
    if app[SETTINGS].observability.metrics_enabled:
        app.router.add_routes(
            [
                web.get("/metrics", metrics.metrics),
                web.get("/actuator/prometheus", metrics.metrics),
            ]
        )
