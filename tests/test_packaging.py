"""An install from a wheel: the package, the letter templates and the add-in's sources all inside it, and
letters made from that install alone (no checkout on the path)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from billing_addin.workbook.demo_book import build_demo_book

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of what the wheel is made of: setuptools leaves build/ and *.egg-info where it builds.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("billing_addin", "letter_templates"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    folder = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (built,) = folder.glob("billing_addin-*.whl")
    return built


def test_the_wheel_holds_every_module_template_and_addin_source(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "billing_addin").rglob("*.py")}
    assert modules and modules <= names, sorted(modules - names)  # pyproject lists the packages by hand
    shipped = {p.name for p in (ROOT / "letter_templates").iterdir() if p.suffix in (".docx", ".txt")}
    assert len(shipped) == 20  # ten letters, a Word template and an e-mail body each
    assert {f"billing_addin/letter_templates/{n}" for n in shipped} <= names
    sources = {p.name for p in (ROOT / "billing_addin/excel/addin_src").iterdir()}
    assert {f"billing_addin/excel/addin_src/{n}" for n in sources} <= names


def test_letters_from_a_wheel_install_alone(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a pure-Python wheel installs by unpacking
    book = tmp_path / "billing.xlsx"
    as_of = dt.date(2026, 11, 27)
    build_demo_book(book, as_of, mistakes=False)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import billing_addin.documents.templates as t; print(t.__file__); print(t.SHIPPED)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout.split()
    assert where == [str(site / "billing_addin/documents/templates.py"), str(site / "billing_addin/letter_templates")]
    run = [sys.executable, "-m", "billing_addin", "letters", str(book), "--as-of", as_of.isoformat(), "--no-pdf"]
    proc = subprocess.run([*run, "--json"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout.strip().splitlines()[-1])["letters"]
    assert made and all(Path(m["docx"]).stat().st_size > 10_000 for m in made)
