"""The built wheel installs into a clean virtual environment and runs there: the catalogs, specs,
chart of accounts and report template travel with the package, and nothing reads the source
tree. Paths with a space and Chinese characters, as a Windows user's folders have."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ("toolkit/data/messages.toml", "toolkit/data/findings.toml", "toolkit/data/enums.toml",
        "toolkit/data/federation.toml", "toolkit/data/accounts_2021.csv",
        "toolkit/data/specs/roster.toml", "toolkit/render/report.html.j2", "toolkit/py.typed")


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def _build(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the sources (a build writes into its source tree)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "toolkit", src / "toolkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    built = _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                 "--no-build-isolation", "-w", tmp_path / "dist", src)
    assert built.returncode == 0, built.stderr
    return next((tmp_path / "dist").glob("unionkit-*.whl"))


def _clean_venv(root: Path, wheel: Path) -> Path:
    """A new venv with only the wheel installed; its dependencies are this environment's,
    reached by a path line (no editable finder, no source tree)."""
    created = _run(sys.executable, "-m", "venv", "--without-pip", root)
    assert created.returncode == 0, created.stderr
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "-q",
                     "--no-deps", wheel)
    assert installed.returncode == 0, installed.stderr
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site.stdout.strip()) / "dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    return python.parent


def test_the_wheel_installs_into_a_clean_venv_and_runs(tmp_path):
    wheel = _build(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(DATA) <= names, sorted(set(DATA) - names)
    assert not any(n.startswith(("tests/", "scripts/")) for n in names)

    bin_dir = _clean_venv(tmp_path / "干净 环境", wheel)
    unionkit = bin_dir / ("unionkit.exe" if os.name == "nt" else "unionkit")
    where = _run(bin_dir / "python", "-c", "import toolkit; print(toolkit.__file__)",
                 cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "干净 环境"), where.stdout

    work = tmp_path / "分会 报表"
    sample = _run(unionkit, "sample", "--out", work / "样例", cwd=tmp_path)
    assert sample.returncode == 0, sample.stderr
    checked = _run(unionkit, "validate", work / "样例" / "inbox", "--config",
                   work / "样例" / "federation.toml", "--no-register", cwd=tmp_path)
    assert checked.returncode == 1 and "身份证号校验位错误" in checked.stdout, checked.stderr
    done = _run(unionkit, "consolidate", work / "样例" / "inbox", "--config",
                work / "样例" / "federation.toml", "--out", work / "汇总 结果.xlsx",
                "--no-register", cwd=tmp_path)
    assert done.returncode == 1 and (work / "汇总 结果.xlsx").exists(), done.stderr
    proved = _run(unionkit, "verify", work / "汇总 结果.xlsx", cwd=tmp_path)
    assert proved.returncode == 0, proved.stdout + proved.stderr
