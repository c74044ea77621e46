"""What `pip install .` installs: the packages and the assets they read at run time (the embedded model, the
vendored front-end builds, the samples), so that an installed uicode converts without the source tree."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ("pyproject.toml", "README.md", "app", "model", "vision", "kernels", "train", "uicode", "assets")


def test_the_wheel_carries_the_packages_and_the_assets(tmp_path):
    src = tmp_path / "src"  # a copy: a build/ folder left in the checkout would hide what the config leaves out
    src.mkdir()
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("uicode-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for pkg in ("app", "model", "vision", "kernels", "train", "uicode"):
        assert f"{pkg}/__init__.py" in names, pkg
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "assets").rglob("*") if p.is_file()}
    assert shipped and shipped <= names, sorted(shipped - names)[:5]
    assert "app/gui/__main__.py" in names and "assets/mini/config.json" in names
