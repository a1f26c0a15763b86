"""The shipped mixin rendered for fast end-to-end runs: every `for` 2 s, the one-hour counter and
duration windows 2 minutes, and the SLO recording groups evaluated every second (Prometheus
evaluates at 1 s in these tests), as docs/alerts.md describes. Everything else (expressions,
thresholds, labels, texts) is what users get."""
import json
import os
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RENDER = os.path.join(SRC, "scripts", "render-mixin.py")
ALERTS = ["BatchwatchCronJobLastRunFailed", "BatchwatchCronJobConsecutiveFailures",
          "BatchwatchCronJobNoRecentSuccess", "BatchwatchCronJobNeverSucceeded",
          "BatchwatchCronJobMissedSchedules", "BatchwatchCronJobForbidSkipped",
          "BatchwatchCronJobRunsReplaced", "BatchwatchCronJobScheduleLag",
          "BatchwatchCronJobScheduleError", "BatchwatchCronJobRunLongerThanInterval",
          "BatchwatchCronJobSuspendedLong", "BatchwatchCronJobErrorBudgetBurn",
          "BatchwatchJobPastActiveDeadline", "BatchwatchJobGroupFailing", "BatchwatchDown",
          "BatchwatchNotSynced", "BatchwatchWatchStale", "BatchwatchKubeApiErrors",
          "BatchwatchStateNotSaved", "BatchwatchCronJobOOMKilled",
          "BatchwatchCronJobCreateFailures", "BatchwatchJobPodsWaiting",
          "BatchwatchJobGroupCreateFailures"]
FAST = {
    "alertFor": {name: "2s" for name in ALERTS},
    "eventWindow": "2m",
    "runDurationWindow": "2m",
    "sloRecordInterval": "1s",
    "sloLongRecordInterval": "1s",
}


def render(out_dir, multicluster=False, extra=None):
    """Renders into out_dir and returns the path of the rule file."""
    config = dict(FAST, **(extra or {}))
    argv = [sys.executable, RENDER, "--out-dir", out_dir, "--config", json.dumps(config)]
    if multicluster:
        argv.append("--multicluster")
    subprocess.run(argv, check=True)
    return os.path.join(out_dir, "batchwatch.rules.yml")
