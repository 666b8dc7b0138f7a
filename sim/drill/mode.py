"""Drill mode entry points: draw and seal a package (``run_sim.py experiment=drill``), open it.

Nothing printed here depends on the drawn scenario: the designer who runs the command sees
the sealed file, its SHA-256 and how to open it, never the hazard, date, place or seed. Nor
does the run folder tell how long the run took (a flood evacuation runs longer than a
storm): ``run_sim.log`` keeps its lines without their times, the header's ``created`` is
the start of the run and the files' modification times are set to it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from omegaconf import DictConfig

from sim.config import Config, DrillConfig
from sim.core.errors import UserError
from sim.core.network import RoadNetwork
from sim.drill.draw import (
    DrillDraw,
    check_drill_config,
    draw_drill,
    draw_seeds,
    drill_overrides,
    given_scenario,
    new_secret_seed,
    scenario_override,
)
from sim.drill.package import build_package, check_package, draft_msel
from sim.drill.seal import (
    SealError,
    passphrase_for,
    read_header,
    record_opening,
    seal,
    sha256_file,
    unseal,
)
from sim.drill.sheets import render_documents, write_documents
from sim.run.app import prepare, typed_config
from sim.run.console_log import LOG_NAME, unlogged
from sim.run.outputs import atomic_write_text, one_line_os_errors, refuse_links, safe_mkdir

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
    ov = [o for o in overrides if scenario_override(o) is None]
    draw = draw_drill(secret_seed, base.district.name, base.experiment.drill, given, tomorrow)
    ov += drill_overrides(draw, base.experiment.drill)
    try:
        conf, net = prepare(compose(ov))
    except Exception:  # noqa: BLE001  (check_menu refuses what it can before the draw)
        # Whatever failed names the drawn scenario (its section, its nodes): not said here,
        # or the designer would learn the secret hazard from an error and a re-run.
        raise UserError(
            "experiment.drill: the drawn hazard cannot be run, and its error is not shown (it "
            "would tell the secret draw); run each menu entry on its own to find it: python "
            "run_sim.py experiment=drill scenario=<entry>"
        ) from None
    return conf, net, draw, ov


def check_menu(overrides: list[str], drill, compose: Compose | None = None) -> None:
    """Refuse a broken drill menu entry, for every entry, before the draw (the pre-flight
    does, when no scenario is given): its error then tells nothing of the draw. Found only
    after the draw, the error named the drawn hazard, and a re-run would reveal it.

    Every entry's scenario must be an option of Hydra's ``scenario`` group (read from its
    loader, which must be set up: nothing composed). An entry with overrides of its own is
    composed with them and typed, as its draw would be (``compose``: the pre-flight's), so
    that a misspelt key or a bad value is refused whatever the draw."""
    from hydra.core.global_hydra import GlobalHydra

    if given_scenario(overrides) is not None:
        return
    options = set(GlobalHydra.instance().config_loader().get_group_options("scenario"))
    for key, h in drill.hazards.items():
        name = h.scenario or key
        if name not in options:
            raise UserError(
                f"experiment.drill.hazards.{key}.scenario={name}: no such scenario "
                f"(available: {', '.join(sorted(options))})"
            )
    if compose is None:
        return
    rest = [o for o in overrides if scenario_override(o) is None]
    for key, h in drill.hazards.items():
        if not h.overrides:
            continue
        name = h.scenario or key
        own = [*rest, f"scenario={name}", f"scenario.name={name}"]
        try:
            typed_config(compose([*own, *h.overrides]))
        except UserError as exc:
            try:  # the command line's own settings may be what fails: not the entry's fault
                typed_config(compose(own))
            except UserError:
                raise exc from None
            raise UserError(f"experiment.drill.hazards.{key}.overrides: {exc}") from None


def make_package(
    compose: Compose,
    overrides: list[str],
    secret_seed: int,
    drill_id: str,
    today: dt.date | None = None,
) -> dict:
    """The package for a given secret seed (tests and reproduction use this directly).

    A draw whose MSEL has fewer than ``experiment.drill.min_injects`` injects (a fire day
    without an ignition, an earthquake felt nowhere) is drawn again - hazard, date, start
    and place - from the next seed of :func:`~sim.drill.draw.draw_seeds`, at most
    ``max_draws`` draws; the package's ``secret.seed`` is the seed of the draw kept (it
    reproduces the package on its own too). If none qualifies the refusal names nothing of
    the draws: neither how many were short nor what they drew."""
    base = typed_config(compose(list(overrides)))
    dcfg = base.experiment.drill
    for seed in draw_seeds(secret_seed, dcfg.max_draws):
        conf, net, draw, ov = plan_drill(compose, overrides, seed, today)
        draft = draft_msel(conf, net, draw)
        if draft.n_injects >= min_injects(dcfg, draw.hazard):
            return build_package(conf, net, draw, ov, drill_id, draft)
    raise UserError(
        f"experiment.drill.min_injects={dcfg.min_injects}: none of the {dcfg.max_draws} "
        f"draws (experiment.drill.max_draws) gave an MSEL of that many injects (or of a "
        f"menu entry's own min_injects) within window_h={dcfg.window_h:g} h; lower "
        "min_injects, or raise window_h or max_draws"
    )


def min_injects(drill: DrillConfig, hazard: str) -> int:
    """The fewest injects a drill of menu entry ``hazard`` may be sealed with: its own
    ``min_injects`` if it sets one, else ``experiment.drill.min_injects``."""
    h = drill.hazards.get(hazard) if hazard else None
    return h.min_injects if h is not None and h.min_injects > 0 else drill.min_injects


def backdate(folder: Path, names: list[str], when: dt.datetime) -> None:
    """Set the modification time of ``folder`` and of its files ``names`` to ``when`` (the
    start of the run, as its folder's name says): a file's time would tell how long the run
    took. Links are left alone. (The change time, ``ctime``, cannot be set: see
    docs/drills.md.)"""
    t = when.timestamp()
    with one_line_os_errors(folder):
        for name in names:
            f = folder / name
            if f.is_file() and not f.is_symlink():
                os.utime(f, (t, t), follow_symlinks=False)
        os.utime(folder, (t, t))


def run_drill(cfg: DictConfig, outdir: Path, overrides: list[str], compose: Compose) -> Path:
    """``python run_sim.py experiment=drill ...``: draw, simulate, seal; print the hash only."""
    # (the CLI copies the console into run_sim.log without times; what must stay off the
    # log, a passphrase made for the user, is written to the console behind it)
    return _run_drill(cfg, outdir, overrides, compose, unlogged(sys.stdout))


def _run_drill(
    cfg: DictConfig, outdir: Path, overrides: list[str], compose: Compose, console: TextIO
) -> Path:
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    clock0 = time.monotonic()
    base = typed_config(cfg)
    check_drill_config(base, overrides)  # before anything is drawn or written
    drill_id = f"drill-{secrets.token_hex(4)}"
    # asked before the draw: a prompt after it would show how long the draw took
    passphrase, generated = passphrase_for(base.experiment.drill.passphrase_env, new=True)
    hold = base.experiment.drill.hold_s
    print(
        f"{base.district.name}: drawing a secret drill {drill_id} (seed, hazard, date, place); "
        f"the result is held until {hold:g} s after the start ..."
    )
    sys.stdout.flush()
    pkg = make_package(compose, overrides, new_secret_seed(), drill_id)
    safe_mkdir(outdir, outdir)
    path = outdir / f"{drill_id}.sealed"
    # created: the start of the run (its end would tell, with the folder's name, how long
    # the run took)
    public = {
        "drill_id": drill_id,
        "district": base.district.name,
        "created": started.isoformat(timespec="seconds"),
    }
    digest = seal(pkg, passphrase, path, public)
    atomic_write_text(
        outdir / "README.txt",
        f"Sealed double-blind drill package {drill_id} ({base.district.name}).\n"
        f"SHA-256 of {path.name}: {digest} (also in {path.name}.sha256)\n"
        "Give the sealed file to the control-team lead; send the passphrase separately.\n"
        f"Open (recorded in {path.name}.openings.jsonl): python -m sim.drill open {path}\n"
        f"Run the drill console:                    python -m sim.drill serve {path}\n"
        "See docs/drills.md.\n",
        outdir,
    )
    # how long the draw took hints at the hazard (a storm seconds, a flood evacuation
    # longer): nothing more is shown before the hold is over, and no time is printed
    time.sleep(max(hold - (time.monotonic() - clock0), 0.0))
    print(f"sealed package: {path}")
    print(f"sha256: {digest}")
    if generated:
        # (to the terminal only: run_sim.log copies the rest of the console)
        print(f"passphrase (made for you, shown once, stored nowhere): {passphrase}", file=console)
    print(f"open it with: python -m sim.drill open {path}")
    sys.stdout.flush()
    names = [path.name, f"{path.name}.sha256", "README.txt", LOG_NAME]
    backdate(outdir, names, started)
    return path


SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def recorded_sha256(path: Path) -> str | None:
    """The SHA-256 written beside a sealed file at sealing (``<file>.sha256``: the hash,
    then the file's name), None if there is none; a file that holds none is refused."""
    recorded = path.with_name(path.name + ".sha256")
    if not recorded.exists() and not recorded.is_symlink():
        return None
    try:
        with recorded.open("rb") as fh:
            raw = fh.read(4096)
    except OSError as exc:
        raise SealError(f"'{recorded}': cannot be read ({exc.strerror})") from None
    words = raw.decode("utf-8", "replace").split()
    if not words or not SHA256.fullmatch(words[0]):
        raise SealError(
            f"'{recorded}': holds no SHA-256 (64 hex digits); compare the hash by hand and "
            "pass it with --sha256"
        )
    return words[0]


def load_sealed(path: Path, passphrase: str, sha256: str | None = None) -> tuple[dict, str]:
    """Verify the hash (given, or the ``.sha256`` written at sealing) and unseal."""
    path = Path(path)
    read_header(path)
    digest = sha256_file(path)
    expect = sha256 if sha256 is not None else recorded_sha256(path)
    if expect is not None and expect.strip().lower() != digest:
        raise SealError(f"'{path}': SHA-256 {digest} does not match the expected {expect}")
    pkg = check_package(unseal(path, passphrase))
    if expect is None:  # (said once the file opened: a file that does not open says why)
        print(NO_SHA256_NOTE.format(name=path.name, digest=digest), file=sys.stderr, flush=True)
    return pkg, digest


# ``open``/``serve`` of a sealed file without its .sha256 and without --sha256. AES-256-GCM
# authenticates the header and the ciphertext (sim/drill/seal.py): a changed package or header
# does not open; a file re-formatted around them (its JSON's spacing) still would, which only
# the hash shows.
NO_SHA256_NOTE = (
    "note: no {name}.sha256 beside it and no --sha256: its SHA-256 ({digest}) was not compared "
    "with the one given at sealing (compare it by hand); the authenticated encryption still "
    "refuses a changed package or header"
)


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
    refuse_links(out, out.parent)  # the cleartext goes into that folder, never through a link
    with one_line_os_errors(out):
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UserError(f"{out}: already exists and is not an empty folder (choose --out)")
    docs = render_documents(pkg)  # (a malformed package: one line, nothing recorded)
    rec = record_opening(path, digest, out)  # (refuses a link in the record's place)
    files = write_documents(docs, out)  # (makes ``out``, refusing a link in its place)
    atomic_write_text(out / "package.json", json.dumps(pkg, ensure_ascii=False, indent=1), out)
    atomic_write_text(out / "opened.json", json.dumps(rec, indent=1), out)
    print(
        f"opened {path.name} (sha256 {digest}) at {rec['opened_at']}; recorded in "
        f"{path.name}.openings.jsonl"
    )
    for f in [*files, out / "package.json"]:
        print(f"  {f}")
    return out
