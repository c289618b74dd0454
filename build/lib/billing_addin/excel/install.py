"""`billing addin install` / `uninstall`: put billing_addin.xlam where Excel opens it at start, and write the
settings its xlwings module reads (which Python to run, its path, the UDF module), and take both away again.

Where Excel loads add-ins at start (its user startup folder, which xlwings' own `xlwings addin install` uses):
- Windows: %APPDATA%\\Microsoft\\Excel\\XLSTART
- macOS: ~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel
The settings file is xlwings' config format ("KEY","VALUE" lines) under the add-in's own project name, as
xlwings' custom add-ins read it (so the xlwings add-in's own xlwings.conf is left alone):
- Windows: %USERPROFILE%\\.billing_addin\\billing_addin.conf
- macOS: ~/Library/Containers/com.microsoft.Excel/Data/billing_addin.conf (Excel's sandbox home)
Elsewhere there is no Excel: give --dir and --config, or see where it would go.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from billing_addin.excel.addin_file import ADDIN_NAME, PROJECT_NAME, build_addin
from billing_addin.excel.udf_vba import UDF_MODULE

CONFIG_NAME = f"{PROJECT_NAME}.conf"


@dataclass(frozen=True)
class Places:
    addin_dir: Path
    config_file: Path


def excel_places(platform: str = sys.platform, home: Path | None = None, env=os.environ) -> Places | None:
    """Where Excel on this system loads add-ins from and where the add-in's settings go; None without Excel."""
    home = home or Path.home()
    if platform.startswith("win"):
        appdata = Path(env.get("APPDATA", home / "AppData" / "Roaming"))
        profile = Path(env.get("USERPROFILE", home))
        return Places(appdata / "Microsoft" / "Excel" / "XLSTART", profile / f".{PROJECT_NAME}" / CONFIG_NAME)
    if platform == "darwin":
        startup = home / "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
        return Places(startup, home / "Library/Containers/com.microsoft.Excel/Data" / CONFIG_NAME)
    return None


def python_settings(executable: str = sys.executable, platform: str = sys.platform) -> dict[str, str]:
    """The xlwings settings: this Python (pythonw.exe on Windows: no console window), the folder that holds
    the billing_addin package, and the UDF module."""
    interpreter = Path(executable)
    if platform.startswith("win") and (interpreter.parent / "pythonw.exe").exists():
        interpreter = interpreter.parent / "pythonw.exe"
    package_root = Path(__file__).resolve().parents[2]
    key = "INTERPRETER_WIN" if platform.startswith("win") else "INTERPRETER_MAC"
    return {key: str(interpreter), "PYTHONPATH": str(package_root), "UDF MODULES": UDF_MODULE}


def config_text(settings: dict[str, str]) -> str:
    # xlwings reads the file with VBA's `Input #`: quoted fields, one "KEY","VALUE" pair a line.
    return "".join(f'"{k}","{v}"\n' for k, v in settings.items())


def install(addin_dir: Path, config_file: Path, settings: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Build the add-in into `addin_dir` and write `config_file`; return both paths."""
    addin_dir.mkdir(parents=True, exist_ok=True)
    addin = build_addin(addin_dir / ADDIN_NAME)
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(config_text(settings or python_settings()), encoding="utf-8")
    return addin, config_file


def uninstall(addin_dir: Path, config_file: Path) -> list[Path]:
    """Remove the add-in and its settings file (and the settings folder when it is left empty); return what
    was removed."""
    removed = []
    for path in (addin_dir / ADDIN_NAME, config_file):
        if path.exists():
            path.unlink()
            removed.append(path)
    folder = config_file.parent
    if folder.name == f".{PROJECT_NAME}" and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return removed
