"""A schema fuzzer finds no contract failure: every answer is documented, JSON, and a
request the OpenAPI document calls valid is accepted (R-12.4).

`schemathesis run --checks all` against a live server of the test database, as a general
manager with a bearer key, with deterministic generation: the same few
hundred requests every run. A failure prints schemathesis' report with a `curl` line to
reproduce each finding.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_customer
from yingke.core.models import ApiToken
from yingke.customers.models import ContactLink, Customer, SpecialDate
from yingke.customers.services import add_note, add_preference, save_special_date

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 4
KEY_ID = 7_300_001  # far from the small ids the fuzzer tries, so it does not delete its own key


@pytest.fixture
def guest_files(world):
    """Objects for the fuzzer's ids to find: an organisation with a contact, a note, a preference, a date."""
    org = make_customer(world.h1, "ORG1", "迎客集团", kind=Customer.Kind.ORGANISATION)
    ContactLink.objects.create(organisation=org, person=world.c_pool, title="经理")
    add_note(world.gm, world.c_am1, "喜欢安静")
    add_preference(world.gm, world.c_am1, "tea", "龙井")
    save_special_date(world.gm, SpecialDate(customer=world.c_am1, month=5, day=20))
    return org


def test_schemathesis_finds_no_contract_failure(live_server, world, guest_files, tmp_path):
    token, key = ApiToken.issue(world.gm, name="schemathesis")
    ApiToken.objects.filter(pk=token.pk).update(id=KEY_ID)
    command = [
        str(SCHEMATHESIS), "run", f"{live_server.url}/api/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        # Every check; positive_data_acceptance with the business rules named in the hooks.
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        # The coverage phase alone sends ~3,000 requests; fuzzing and stateful sequences a few hundred.
        "--phases", "fuzzing,stateful", "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic", "--workers", "1", "--no-color", "--warnings", "off",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-30000:]
    generated = int(re.search(r"(\d+) generated", report).group(1))
    assert generated >= 150, report[-3000:]  # the run really exercised the API
