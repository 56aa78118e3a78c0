"""A worker's collector leaves the loaded application alone and collects the young rarely
(plumbing/collector.py), from config/asgi.py."""

import gc
import os
import subprocess
import sys
from pathlib import Path

from plumbing import collector

ROOT = Path(__file__).resolve().parents[2]


def test_settle_freezes_what_is_loaded_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        collector.settle()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_worker_loading_the_application_settles_its_collector():
    code = "import gc, config.asgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(collector.YOUNG_THRESHOLD), "True"]
