"""The segments endpoints under the schema fuzzer (as tests/api/test_schema_fuzzing.py, limited
to the "segments" tag so that it runs in seconds): every answer documented, JSON, and a request
the OpenAPI document calls valid is accepted."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from yingke.core.models import ApiToken
from yingke.grading.models import GradingRun, Loss

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ROOT = Path(__file__).resolve().parents[2]
KEY_ID = 7_300_002


def test_schemathesis_finds_no_contract_failure_in_segments(live_server, world, tmp_path):
    run = GradingRun.objects.create(property=world.h1, as_of=dt.date(2026, 11, 1), window_days=60, a_share=20,
                                    b_share=50, trigger="command")
    Loss.objects.create(customer=world.c_am1, property=world.h1, run=run, lost_on=run.as_of, previous_grade="A",
                        owner=world.am1)
    token, key = ApiToken.issue(world.gm, name="schemathesis")
    ApiToken.objects.filter(pk=token.pk).update(id=KEY_ID)
    command = [
        str(SCHEMATHESIS), "run", f"{live_server.url}/api/openapi.json",
        "--header", f"Authorization: Bearer {key}", "--include-tag", "segments",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--phases", "coverage,fuzzing,stateful", "--max-examples", "10",
        "--generation-deterministic", "--workers", "1", "--no-color", "--warnings", "off",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=500, env=env, cwd=tmp_path)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-30000:]
    assert int(re.search(r"(\d+) generated", report).group(1)) >= 50, report[-3000:]
