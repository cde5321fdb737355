"""A spawned extraction worker imports its functions' module and the crawl child's __main__
(spiders.run) again: neither may pull in Scrapy, the archive writer or boto3 (~1.5 s CPU each)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_what_a_worker_imports_leaves_out_the_crawler_and_the_archive() -> None:
    code = (
        "import sys, spiders.run, spiders.cleanworker, spiders.pipelines as p;"
        "assert p.clean_in_worker.__module__ == p.init_worker.__module__ == 'spiders.cleanworker';"
        "print(sorted(m for m in ('scrapy', 'twisted', 'boto3', 'archive.writer') if m in sys.modules))"
    )
    # spiders.pipelines is imported last, to check what its functions pickle as; a fresh
    # interpreter checks what the worker's modules import by themselves
    light = "import sys, spiders.run, spiders.cleanworker; print(sorted(m for m in ('scrapy', 'twisted', 'boto3', 'archive.writer') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", light], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
