"""The bot as an operator installs it: the wheel with the dependencies pinned in constraints.txt,
in a fresh virtual environment, started from a folder that holds nothing of the source."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import TOKEN, clean_environment
from tests.test_container import copy_build_context

PROJECT = Path(__file__).resolve().parent.parent
LOCALES = PROJECT / "locales"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the virtual environment's layout is POSIX")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Built from a copy of the sources (a build writes beside them), installed with the pins."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    copy_build_context(source)
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "wheel", "--no-deps", "--wheel-dir", str(root / "dist"), str(source)], cwd=root)
    (wheel,) = (root / "dist").glob("citizen_feedback_bot-*.whl")
    _run([*pip, "install", "--constraint", str(PROJECT / "constraints.txt"), str(wheel)], cwd=root)
    return Installed(wheel=wheel, venv=venv)


def _run_python(installed: Installed, folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = clean_environment(BOT_TOKEN=TOKEN)
    # The bot must come from the virtual environment, not from the checkout.
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [installed.python, *arguments],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(PROJECT).parts)
        for top in ("bot", "handlers", "storage")
        for init in (PROJECT / top).rglob("__init__.py")
    }
    assert found | {"bot.locales"} == listed, "[tool.setuptools] packages in pyproject.toml"


def test_the_wheel_holds_every_catalogue(installed: Installed) -> None:
    in_source = {
        path.relative_to(LOCALES).as_posix()
        for path in LOCALES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = {
            name.removeprefix("bot/locales/") for name in wheel.namelist() if name.startswith("bot/locales/")
        }
    assert in_wheel == in_source


def test_the_installed_bot_runs_healthy_from_an_empty_folder(installed: Installed, tmp_path: Path) -> None:
    migrate = _run_python(installed, tmp_path, "-m", "bot", "migrate")
    assert migrate.returncode == 0, migrate.stderr
    # The data lands under the working directory, never inside the installed package.
    assert (tmp_path / "data" / "feedback.sqlite3").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data"]
    health = _run_python(installed, tmp_path, "-m", "bot", "healthcheck")
    assert health.returncode == 0, health.stderr


def test_the_installed_bot_reads_its_shipped_catalogues(installed: Installed, tmp_path: Path) -> None:
    result = _run_python(installed, tmp_path, "-m", "bot", "translations")
    assert result.returncode == 0, result.stderr
    # One line per language: code, name, then three counts.
    listed = set(re.findall(r"^(\S+) .* \d+ +\d+ +\d+$", result.stdout, re.M))
    assert listed == {path.stem for path in LOCALES.glob("*.po")}
    where = _run_python(
        installed, tmp_path, "-c", "from bot.config import Settings; print(Settings().locales_dir)"
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.venv), where.stderr


def test_the_installed_bot_detects_languages_from_its_shipped_tables(
    installed: Installed, tmp_path: Path
) -> None:
    code = (
        "from bot.language.detection import detect; print(detect('Hej, tack'), detect('Mahadsanid walaal'))"
    )
    result = _run_python(installed, tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sv", "so"]
