"""Drill mode entry points: draw and seal a package (``run_sim.py experiment=drill``), open it.

Nothing printed here depends on the drawn scenario: the designer who runs the command sees
the sealed file, its SHA-256 and how to open it, never the hazard, date, place or seed.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig

from sim.config import Config
from sim.core.errors import UserError
from sim.core.network import RoadNetwork
from sim.drill.draw import (
    DrillDraw,
    check_drill_config,
    draw_drill,
    drill_overrides,
    given_scenario,
    new_secret_seed,
    scenario_override,
)
from sim.drill.package import build_package, check_package
from sim.drill.seal import (
    SealError,
    passphrase_for,
    read_header,
    record_opening,
    seal,
    sha256_file,
    unseal,
)
from sim.drill.sheets import write_documents
from sim.run.app import prepare, typed_config
from sim.run.console_log import unlogged

Compose = Callable[[list[str]], DictConfig]


def plan_drill(
    compose: Compose, overrides: list[str], secret_seed: int, today: dt.date | None = None
) -> tuple[Config, RoadNetwork, DrillDraw, list[str]]:
    """Compose the user's config, draw the drill from the seed, compose the drawn scenario.

    ``today`` (default: the machine's local date) is the day the drill is planned: the
    date is drawn from ``not_before``, or from the day after ``today``; to reproduce a
    package, pass the local date on which it was sealed (the header's ``created`` is UTC:
    in Chongqing, UTC+8, a package sealed before 08:00 local shows the day before).
    """
    base = typed_config(compose(list(overrides)))
    today = today or dt.date.today()
    check_drill_config(base, overrides, today)
    given = given_scenario(overrides)
    tomorrow = today + dt.timedelta(days=1)
    draw = draw_drill(secret_seed, base.district.name, base.experiment.drill, given, tomorrow)
    ov = [o for o in overrides if scenario_override(o) is None]
    ov += drill_overrides(draw, base.experiment.drill)
    try:
        cfg = compose(ov)
    except Exception as exc:  # a menu entry naming a scenario option that does not exist
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"experiment.drill.hazards.{draw.hazard}: {msg}") from None
    conf, net = prepare(cfg)
    return conf, net, draw, ov


def make_package(
    compose: Compose,
    overrides: list[str],
    secret_seed: int,
    drill_id: str,
    today: dt.date | None = None,
) -> dict:
    """The package for a given secret seed (tests and reproduction use this directly)."""
    conf, net, draw, ov = plan_drill(compose, overrides, secret_seed, today)
    return build_package(conf, net, draw, ov, drill_id)


def run_drill(cfg: DictConfig, outdir: Path, overrides: list[str], compose: Compose) -> Path:
    """``python run_sim.py experiment=drill ...``: draw, simulate, seal; print the hash only."""
    base = typed_config(cfg)
    check_drill_config(base, overrides)  # before anything is drawn or written
    drill_id = f"drill-{secrets.token_hex(4)}"
    print(
        f"{base.district.name}: drawing a secret drill {drill_id} (seed, hazard, date, place) ..."
    )
    pkg = make_package(compose, overrides, new_secret_seed(), drill_id)
    passphrase, generated = passphrase_for(base.experiment.drill.passphrase_env, new=True)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{drill_id}.sealed"
    public = {
        "drill_id": drill_id,
        "district": base.district.name,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    digest = seal(pkg, passphrase, path, public)
    (outdir / "README.txt").write_text(
        f"Sealed double-blind drill package {drill_id} ({base.district.name}).\n"
        f"SHA-256 of {path.name}: {digest} (also in {path.name}.sha256)\n"
        "Give the sealed file to the control-team lead; send the passphrase separately.\n"
        f"Open (recorded in {path.name}.openings.jsonl): python -m sim.drill open {path}\n"
        f"Run the drill console:                    python -m sim.drill serve {path}\n"
        "See docs/drills.md.\n",
        encoding="utf-8",
    )
    print(f"sealed package: {path}")
    print(f"sha256: {digest}")
    if generated:
        # (to the terminal only: run_sim.log copies the rest of the console)
        print(
            f"passphrase (made for you, shown once, stored nowhere): {passphrase}",
            file=unlogged(sys.stdout),
        )
    print(f"open it with: python -m sim.drill open {path}")
    return path


def load_sealed(path: Path, passphrase: str, sha256: str | None = None) -> tuple[dict, str]:
    """Verify the hash (given, or the ``.sha256`` written at sealing) and unseal."""
    path = Path(path)
    read_header(path)
    digest = sha256_file(path)
    recorded = path.with_name(path.name + ".sha256")
    expect = sha256
    if expect is None and recorded.is_file():
        expect = recorded.read_text(encoding="utf-8").split()[0]
    if expect is not None and expect.lower() != digest:
        raise SealError(f"'{path}': SHA-256 {digest} does not match the expected {expect}")
    return check_package(unseal(path, passphrase)), digest


def open_package(
    path: Path,
    out: Path | None,
    passphrase_env: str = "DRILL_PASSPHRASE",
    sha256: str | None = None,
) -> Path:
    """``python -m sim.drill open``: unseal, record the opening, write the documents."""
    path = Path(path)
    passphrase, _ = passphrase_for(passphrase_env, new=False)
    pkg, digest = load_sealed(path, passphrase, sha256)
    out = Path(out) if out else path.with_name(f"{pkg['drill_id']}_opened")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out}: already exists and is not empty (choose --out)")
    rec = record_opening(path, digest, out)
    files = write_documents(pkg, out)
    (out / "package.json").write_text(
        json.dumps(pkg, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "opened.json").write_text(json.dumps(rec, indent=1), encoding="utf-8")
    print(
        f"opened {path.name} (sha256 {digest}) at {rec['opened_at']}; recorded in "
        f"{path.name}.openings.jsonl"
    )
    for f in [*files, out / "package.json"]:
        print(f"  {f}")
    return out
