"""Where the project's own files are, and how a user's path is resolved."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = PROJECT_ROOT / "conf"


def resolve_path(p: str) -> Path:
    """A path as given (absolute or relative to the working directory), else project-relative."""
    path = Path(p).expanduser()
    if path.is_absolute() or path.exists():
        return path
    alt = PROJECT_ROOT / path
    return alt if alt.exists() else path


# The secret key that signs checkpoints lives outside every run folder (sim/run/checkpoints.py).
KEY_ENV = "DISTRICT_SIM_KEY"  # the key itself (>= 16 characters); overrides the key file


def key_file() -> Path:
    """``$XDG_CONFIG_HOME/district-sim/key`` (default ``~/.config/district-sim/key``)."""
    import os

    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "district-sim" / "key"
