"""Run the real `yingke` console script in a subprocess, each test with its own
$YINGKE_HOME (embedded SQLite; DATABASE_URL unset)."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

YINGKE = Path(sys.executable).parent / "yingke"


class Cli:
    def __init__(self, home: Path):
        self.home = home

    def env(self, lang=None):
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "DJANGO_SETTINGS_MODULE")}
        env.update(YINGKE_HOME=str(self.home), PYTHONIOENCODING="utf-8", LANG=lang or "C.UTF-8")
        return env

    def __call__(self, *args, lang=None, input=None, timeout=120):
        proc = subprocess.run([str(YINGKE), *map(str, args)], env=self.env(lang), input=input or "",
                              capture_output=True, text=True, timeout=timeout)
        proc.output = proc.stdout + proc.stderr
        return proc

    def sql(self, query, params=()):
        with sqlite3.connect(self.home / "yingke.sqlite3") as db:
            return db.execute(query, params).fetchall()


@pytest.fixture(scope="session")
def migrated_home(tmp_path_factory):
    """One migrated home per test worker; tests get a copy (migrating takes seconds)."""
    home = tmp_path_factory.mktemp("template") / "home"
    proc = Cli(home)("migrate")
    assert proc.returncode == 0, proc.output
    return home


@pytest.fixture
def cli(tmp_path, migrated_home):
    home = tmp_path / "home"
    shutil.copytree(migrated_home, home)
    return Cli(home)


@pytest.fixture
def fresh_cli(tmp_path):
    return Cli(tmp_path / "fresh")
