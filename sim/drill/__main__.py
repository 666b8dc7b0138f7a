"""``python -m sim.drill open|serve|review``: the drill package's own commands.

open    unseal a package (recorded), write the MSEL, player cards and evaluator sheet
serve   run the live drill console on a sealed package (127.0.0.1 by default)
review  write the after-action review of a drill run in the console
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.core.errors import UserError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sim.drill", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("open", help="unseal a drill package (the opening is recorded)")
    o.add_argument("sealed", type=Path)
    o.add_argument("--out", type=Path, default=None, help="folder for the documents")
    o.add_argument("--sha256", default=None, help="expected SHA-256 of the sealed file")
    o.add_argument("--passphrase-env", default="DRILL_PASSPHRASE")
    s = sub.add_parser("serve", help="run the drill console on a sealed package")
    s.add_argument("sealed", type=Path)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument(
        "--speed",
        type=float,
        default=None,
        help="drill clock speed (60 = 1 h per minute; default 1, or the speed a restarted "
        "drill was started with)",
    )
    s.add_argument("--db", type=Path, default=None, help="SQLite file (default beside the package)")
    s.add_argument("--sha256", default=None)
    s.add_argument("--passphrase-env", default="DRILL_PASSPHRASE")
    s.add_argument(
        "--ssl-certfile",
        type=Path,
        default=None,
        help="serve over TLS (HTTPS) with this PEM certificate; the session cookie is Secure",
    )
    s.add_argument("--ssl-keyfile", type=Path, default=None, help="its PEM private key")
    s.add_argument(
        "--insecure-lan",
        action="store_true",
        help="allow plain HTTP on an address other than loopback (access codes in the clear)",
    )
    r = sub.add_parser("review", help="after-action review of a drill (its SQLite file or package)")
    r.add_argument("drill", type=Path, help="the drill's .sqlite file (or its sealed package)")
    r.add_argument("--out", type=Path, default=None)
    r.add_argument(  # (the review reads only the sealed file's public header)
        "--passphrase-env", default="DRILL_PASSPHRASE", help="not needed; kept for old scripts"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "open":
            from sim.drill.mode import open_package

            open_package(args.sealed, args.out, args.passphrase_env, args.sha256)
        elif args.cmd == "serve":
            from sim.drill.console.server import serve

            serve(
                args.sealed,
                args.host,
                args.port,
                args.speed,
                args.db,
                args.passphrase_env,
                args.sha256,
                args.ssl_certfile,
                args.ssl_keyfile,
                args.insecure_lan,
            )
        else:
            from sim.drill.review import review

            review(args.drill, args.out)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
