"""The Dockerfile, checked without a Docker engine: hadolint, and the promises the README makes about it."""
import shutil
import subprocess
import sys
from pathlib import Path

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
