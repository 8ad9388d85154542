"""Interpreters a test builds for itself: a Ray node's Python that lacks Ray, or lacks steplabel.

What the machine's base interpreter happens to hold is an accident of that machine; these are
made from the running interpreter, so a test gets the same node on any machine.
"""
from __future__ import annotations

import os
import site
import sys
import sysconfig
from pathlib import Path


def _wrapper(path: Path, env: str = "") -> Path:
    # -S: no site-packages (none of the machine's or this venv's packages), whatever they hold
    path.write_text(f'#!/bin/sh\n{env}exec "{sys.executable}" -S "$@"\n')
    path.chmod(0o755)
    return path


def python_without_ray(folder: Path) -> Path:
    """This interpreter with nothing but its standard library: a Ray worker cannot start in it."""
    folder.mkdir(parents=True, exist_ok=True)
    return _wrapper(folder / "python-without-ray")


def python_without_steplabel(folder: Path) -> Path:
    """This interpreter with every package of this environment except steplabel: a Ray worker
    starts, and `import steplabel` fails, whether steplabel is installed editable or not."""
    packages = folder / "site-packages"
    packages.mkdir(parents=True, exist_ok=True)
    # this environment's own packages first: a name found twice is taken from the first folder
    roots = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()])
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        for entry in root.iterdir():
            # .pth files are not read from a PYTHONPATH folder: an editable install's finder stays out
            if entry.name.lower().startswith(("steplabel", "__editable__")) or entry.suffix == ".pth":
                continue
            link = packages / entry.name
            if not link.exists():
                os.symlink(entry, link)
    return _wrapper(folder / "python-without-steplabel", env=f'PYTHONPATH="{packages}" ')
