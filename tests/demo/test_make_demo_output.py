"""`make demo` is quiet: its steps (read from the Makefile's demo target, run as it runs
them, without a terminal, on a small store) print no warnings, no tracebacks, no
progress-bar escape codes and no 17-digit floats; the experiment simulation says how far
it is; installing the package gives no setuptools "Package would be ignored" warnings;
and the demo store answers /favicon.ico."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "example_site"
# Smaller than the demo's defaults so the test takes seconds, not minutes.
SMALL = {
    "seed_demo": ["--products", "80", "--shoppers", "150", "--events", "4000"],
    "personalization_demo_experiment": ["--sessions", "2"],
}
NOISE = [
    (re.compile(r"\bwarn(ing)?s?\b", re.IGNORECASE), "a warning"),
    (re.compile(r"Traceback|Error:"), "a traceback or error"),
    (re.compile(r"\x1b\[|\r"), "terminal escape codes (a progress bar)"),
    (re.compile(r"\d\.\d{7,}"), "an unrounded float"),
    (re.compile(r"\{'"), "a raw dict"),
]


def demo_steps() -> list[list[str]]:
    """The `manage.py ...` lines of the Makefile's demo target, except the server."""
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    steps = []
    for line in target.splitlines():
        if "manage.py" not in line or "runserver" in line:
            continue
        args = shlex.split(line.split("manage.py", 1)[1])
        steps.append([*args, *SMALL.get(args[0], [])])
    return steps


def noise_in(text: str) -> list[str]:
    return [
        f"{what}: {line!r}"
        for line in text.splitlines()
        for pattern, what in NOISE
        if pattern.search(line)
    ]


@pytest.mark.slow
def test_the_demo_steps_print_no_warnings_tracebacks_or_raw_numbers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="example_site.settings",
        DEMO_DB=str(tmp_path / "demo.sqlite3"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(SITE)]),
        OPENBLAS_NUM_THREADS="1",
        PYTHONWARNINGS="default",  # a DeprecationWarning would show
    )
    steps = demo_steps()
    assert [s[0] for s in steps] == [
        "migrate",
        "seed_demo",
        "personalization_train",
        "personalization_segments",
        "personalization_demo_experiment",
    ]
    outputs = {}
    for step in steps:
        done = subprocess.run(
            [sys.executable, "manage.py", *step],
            cwd=SITE,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, (step, output[-3000:])
        assert noise_in(output) == [], (step, noise_in(output)[:10])
        outputs[step[0]] = output
    assert "Simulating sessions: 0 of" in outputs["personalization_demo_experiment"]
    assert re.search(r"precision@10 0\.\d{1,4}\b", outputs["personalization_train"])


def test_building_the_package_warns_of_no_ignored_package(tmp_path: Path) -> None:
    """setuptools' "Package would be ignored": the data folders (templates, static,
    locale) must be listed as packages (`find_namespace:`), and still be shipped."""
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("personalization_plugin", "storefront_widgets"):
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "build_py", "-d", "out"],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "would be ignored" not in done.stdout + done.stderr
    assert "is absent from the `packages` configuration" not in done.stdout + done.stderr
    built = source / "out"
    for shipped in (
        "personalization_plugin/templates/personalization_plugin/graphql/graphiql.html",
        "personalization_plugin/static/personalization_plugin/graphiql/graphiql.min.js",
        "personalization_plugin/locale/de/LC_MESSAGES/django.mo",
        "storefront_widgets/static/storefront_widgets/htmx.min.js",
    ):
        assert (built / shipped).is_file(), shipped


@pytest.mark.django_db
def test_the_store_answers_favicon_ico() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
