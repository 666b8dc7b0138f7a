"""The seal: a drill package encrypted with a passphrase, tamper-evident, opened on record.

Key: scrypt (RFC 7914) from the passphrase and a random 16-byte salt, n=2**15, r=8, p=1
(the ``cryptography`` documentation's interactive-use parameters raised one step).
Cipher: AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce; the envelope's header
(format, drill id, district, creation time, KDF parameters) is authenticated data, so a
change to any byte of the file - header or ciphertext - makes opening fail. The plaintext
is the package JSON, gzip-compressed and padded to a multiple of 64 KiB so that the file
size says little about the scenario. The SHA-256 of the sealed file is printed and written
beside it: compare it with the one you were given before opening.

A sealed file is untrusted input when read back: its size, KDF parameters (to what this tool
writes, plus a margin: at most 64 MiB and a fraction of a second), salt and nonce lengths and
decompressed size are bounded, and the payload is JSON, never pickle. Every problem with it
is a :class:`SealError` (one line, exit status 2). Files are written without following a
symbolic link (:mod:`sim.run.outputs`; the opening record by an ``O_NOFOLLOW`` append).
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import getpass
import gzip
import hashlib
import io
import json
import os
import secrets
import socket
import stat
import struct
import sys
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from sim.core.errors import UserError
from sim.run.outputs import atomic_write_text, os_error_line

FORMAT = "sim-drill-sealed/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# What a sealed file may ask of the key derivation: what this tool writes (above) plus a
# margin (one step of n, twice p): at most 128 * n * r = 64 MiB and about 0.5 s. A header
# asking for more (n=2^20, r=16, p=4: 2 GiB and half a minute) is refused unread.
SCRYPT_N_RANGE = (2**14, 2**16)  # ASSUMPTION: margin for a future default one step up
SCRYPT_R_MAX = 8  # ASSUMPTION: the tool writes r=8; memory grows with r
SCRYPT_P_MAX = 2  # ASSUMPTION: the tool writes p=1; time grows with p
SALT_LEN = (16, 64)  # ASSUMPTION: bytes; the tool writes 16, up to 64 is still a plain salt
NONCE_LEN = 12  # bytes: the 96-bit GCM nonce the tool writes (NIST SP 800-38D)
PAD = 64 * 1024
MAX_FILE = 64 * 1024 * 1024  # a sealed package is a few hundred KiB; refuse absurd files
MAX_PLAIN = 256 * 1024 * 1024
MIN_PASSPHRASE = 8


class SealError(UserError):
    """A sealed file that cannot be opened: wrong passphrase, modified, or not a seal."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: object, what: str) -> bytes:
    if not isinstance(s, str):
        raise SealError(f"sealed file: {what} is not text")
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise SealError(f"sealed file: {what} is not base64") from None


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(payload: dict, passphrase: str, path: Path, public: dict) -> str:
    """Write ``payload`` (JSON-able) sealed to ``path``; return the file's SHA-256."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserError(f"drill passphrase: use at least {MIN_PASSPHRASE} characters")
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(raw)
    body = struct.pack(">I", len(buf.getvalue())) + buf.getvalue()
    body += b"\0" * (-len(body) % PAD)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = {
        "format": FORMAT,
        **public,
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
    }
    ct = AESGCM(_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, body, _aad(header)
    )
    path = Path(path)
    text = json.dumps({**header, "ciphertext": _b64(ct)}, indent=1)
    atomic_write_text(path, text, path.parent)  # (a link in its place is refused)
    digest = sha256_file(path)
    atomic_write_text(
        path.with_name(path.name + ".sha256"), f"{digest}  {path.name}\n", path.parent
    )
    return digest


def read_header(path: Path) -> dict:
    """The public header of a sealed file (no passphrase needed); checks its shape."""
    path = Path(path)
    if path.is_dir():
        raise SealError(
            f"'{path}' is a directory, not a sealed package file (give the .sealed file)"
        )
    if not path.is_file():
        if path.exists():  # (a FIFO, a device: nothing to read a package from)
            raise SealError(f"'{path}' is not a regular file, not a sealed package file")
        raise SealError(f"sealed file '{path}' does not exist")
    try:
        if path.stat().st_size > MAX_FILE:
            raise SealError(f"sealed file '{path}' is larger than {MAX_FILE // 2**20} MiB")
        env = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SealError(os_error_line(exc, path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SealError(f"'{path}' is not a sealed drill package (not JSON)") from None
    if not isinstance(env, dict) or env.get("format") != FORMAT:
        raise SealError(f"'{path}' is not a sealed drill package (format is not {FORMAT})")
    kdf = env.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise SealError("sealed file: unknown key derivation")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (n, r, p)) or not (
        SCRYPT_N_RANGE[0] <= n <= SCRYPT_N_RANGE[1]
        and n & (n - 1) == 0
        and 1 <= r <= SCRYPT_R_MAX
        and 1 <= p <= SCRYPT_P_MAX
    ):
        raise SealError(
            f"sealed file: key-derivation parameters out of bounds (n={n!r}, r={r!r}, p={p!r}; "
            f"this tool accepts n a power of 2 in 2^14..2^16, r <= {SCRYPT_R_MAX}, "
            f"p <= {SCRYPT_P_MAX})"
        )
    if env.get("cipher") != "AES-256-GCM":
        raise SealError("sealed file: unknown cipher")
    return env


def unseal(path: Path, passphrase: str) -> dict:
    """The package inside a sealed file; :class:`SealError` if it cannot be opened."""
    env = read_header(path)
    ct = _unb64(env.get("ciphertext"), "ciphertext")
    header = {k: v for k, v in env.items() if k != "ciphertext"}
    kdf = env["kdf"]
    salt, nonce = _unb64(kdf.get("salt"), "salt"), _unb64(env.get("nonce"), "nonce")
    if not SALT_LEN[0] <= len(salt) <= SALT_LEN[1]:
        raise SealError(f"sealed file: salt of {len(salt)} bytes (this tool writes 16)")
    if len(nonce) != NONCE_LEN:
        raise SealError(f"sealed file: nonce of {len(nonce)} bytes (must be {NONCE_LEN})")
    try:
        key = _key(passphrase, salt, kdf["n"], kdf["r"], kdf["p"])
        body = AESGCM(key).decrypt(nonce, ct, _aad(header))
    except InvalidTag:
        raise SealError(
            f"cannot open '{path}': wrong passphrase, or the file was modified"
        ) from None
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:  # parameters refused
        raise SealError(f"sealed file: cannot be opened ({exc})") from None
    if len(body) < 4:
        raise SealError("sealed file: empty payload")
    (size,) = struct.unpack(">I", body[:4])
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body[4 : 4 + size])) as gz:
            raw = gz.read(MAX_PLAIN + 1)
    except (OSError, EOFError, zlib.error):
        raise SealError("sealed file: payload is not gzip") from None
    if len(raw) > MAX_PLAIN:
        raise SealError("sealed file: payload too large")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SealError("sealed file: payload is not JSON") from None
    if not isinstance(payload, dict):
        raise SealError("sealed file: payload is not a JSON object")
    return payload


def record_opening(path: Path, digest: str, out: Path) -> dict:
    """Append who opened the sealed file when, and where to, to ``<file>.openings.jsonl``."""
    rec = {
        "opened_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": getpass.getuser(),
        "host": socket.gethostname(),
        "sha256": digest,
        "out": str(out),
    }
    log = Path(path).with_name(Path(path).name + ".openings.jsonl")
    append_line(log, json.dumps(rec, ensure_ascii=False))
    return rec


def append_line(path: Path, line: str) -> None:
    """Append ``line`` to ``path`` (created 0644 if missing) without following a symbolic
    link (``O_NOFOLLOW``: a link in its place is refused in one line, never written
    through), in one ``write`` and ``fsync``-ed. :mod:`sim.run.outputs` writes whole files
    only; a record that grows needs an append."""
    path = Path(path)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    if path.is_symlink():
        raise UserError(f"{path}: is a symbolic link; refusing to follow it")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o644)  # (O_NONBLOCK: a planted FIFO does not hang it)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # (planted between the check and the open)
            raise UserError(f"{path}: is a symbolic link; refusing to follow it") from None
        raise UserError(os_error_line(exc, path)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UserError(f"{path}: is not a regular file; refusing to append to it")
        os.write(fd, data)
        os.fsync(fd)
    except OSError as exc:
        raise UserError(os_error_line(exc, path)) from None
    finally:
        os.close(fd)


def passphrase_for(env_name: str, *, new: bool) -> tuple[str, bool]:
    """The passphrase from ``$env_name``, else asked on the terminal.

    For a new seal with neither, a random passphrase is made and returned with ``True``
    (the caller prints it once: it is stored nowhere).
    """
    value = os.environ.get(env_name, "") if env_name else ""
    if value:
        return value, False
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("drill passphrase: ")
        if new and getpass.getpass("again: ") != first:
            raise UserError("drill passphrase: the two entries differ")
        return first, False
    if new:
        return secrets.token_urlsafe(15), True
    raise UserError(f"drill passphrase: set ${env_name} or run from a terminal")
