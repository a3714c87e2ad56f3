#!/usr/bin/env bash
# The README's curl walkthrough as one script. Run it against `make dev` (the default address)
# or any cromwes: WES=https://host/ga4gh/wes/v1 examples/walkthrough.sh
set -euo pipefail
cd "$(dirname "$0")"
WES="${WES:-http://127.0.0.1:8090/ga4gh/wes/v1}"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

echo "== 1. what this service runs"
curl -sf "$WES/service-info" | json "['workflow_type_versions']"

echo "== 2. submit examples/hello-world.wdl as an attachment"
RUN=$(curl -sf "$WES/runs" \
  -F workflow_url=hello-world.wdl \
  -F workflow_type=WDL \
  -F workflow_type_version=1.0 \
  -F workflow_params='{"hello_world.name": "WES"}' \
  -F tags='{"project": "walkthrough"}' \
  -F workflow_attachment=@hello-world.wdl | json "['run_id']")
echo "run_id: $RUN"

echo "== 3. poll its status until it finishes"
for _ in $(seq 1 120); do
  STATE=$(curl -sf "$WES/runs/$RUN/status" | json "['state']")
  echo "state: $STATE"
  case "$STATE" in COMPLETE|EXECUTOR_ERROR|SYSTEM_ERROR|CANCELED) break ;; esac
  sleep 1
done
[ "$STATE" = COMPLETE ]

echo "== 4. the run log and its outputs"
curl -sf "$WES/runs/$RUN" | json "['outputs']"
STDOUT=$(curl -sf "$WES/runs/$RUN" | json "['task_logs'][0]['stdout']")
echo "the task's stdout ($STDOUT):"
curl -sf "$STDOUT"

echo "== 5. list runs, newest first"
curl -sf "$WES/runs?page_size=5" | json "['runs'][0]"

echo "== 6. start a long run and cancel it"
LONG=$(curl -sf "$WES/runs" \
  -F workflow_url=long-running.wdl -F workflow_type=WDL -F workflow_type_version=1.0 \
  -F workflow_attachment=@long-running.wdl | json "['run_id']")
until [ "$(curl -sf "$WES/runs/$LONG/status" | json "['state']")" = RUNNING ]; do sleep 1; done
curl -sf -X POST "$WES/runs/$LONG/cancel" | json "['run_id']"
for _ in $(seq 1 60); do
  STATE=$(curl -sf "$WES/runs/$LONG/status" | json "['state']")
  echo "state: $STATE"
  [ "$STATE" = CANCELED ] && break
  sleep 1
done
[ "$STATE" = CANCELED ]
echo "walkthrough finished: $RUN COMPLETE, $LONG CANCELED"
