"""The seal: a drill package encrypted with a passphrase, tamper-evident, opened on record.

Key: scrypt (RFC 7914) from the passphrase and a random 16-byte salt, n=2**15, r=8, p=1
(the ``cryptography`` documentation's interactive-use parameters raised one step).
Cipher: AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce; the envelope's header
(format, drill id, district, creation time, KDF parameters) is authenticated data, so a
change to any byte of the file - header or ciphertext - makes opening fail. The plaintext
is the package JSON, gzip-compressed and padded to a multiple of 64 KiB so that the file
size says little about the scenario. The SHA-256 of the sealed file is printed and written
beside it: compare it with the one you were given before opening.

A sealed file is untrusted input when read back: its size, KDF parameters and decompressed
size are bounded, and the payload is JSON, never pickle.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import gzip
import hashlib
import io
import json
import os
import secrets
import socket
import struct
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from sim.core.errors import UserError

FORMAT = "sim-drill-sealed/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
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
    path.write_text(json.dumps({**header, "ciphertext": _b64(ct)}, indent=1), encoding="utf-8")
    digest = sha256_file(path)
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return digest


def read_header(path: Path) -> dict:
    """The public header of a sealed file (no passphrase needed); checks its shape."""
    path = Path(path)
    if not path.is_file():
        raise SealError(f"sealed file '{path}' does not exist")
    if path.stat().st_size > MAX_FILE:
        raise SealError(f"sealed file '{path}' is larger than {MAX_FILE // 2**20} MiB")
    try:
        env = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SealError(f"'{path}' is not a sealed drill package (not JSON)") from None
    if not isinstance(env, dict) or env.get("format") != FORMAT:
        raise SealError(f"'{path}' is not a sealed drill package (format is not {FORMAT})")
    kdf = env.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise SealError("sealed file: unknown key derivation")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if not all(isinstance(x, int) for x in (n, r, p)) or not (
        2**14 <= n <= 2**20 and 1 <= r <= 16 and 1 <= p <= 4
    ):
        raise SealError("sealed file: key-derivation parameters out of bounds")
    if env.get("cipher") != "AES-256-GCM":
        raise SealError("sealed file: unknown cipher")
    return env


def unseal(path: Path, passphrase: str) -> dict:
    """The package inside a sealed file; :class:`SealError` if it cannot be opened."""
    env = read_header(path)
    ct = _unb64(env.get("ciphertext"), "ciphertext")
    header = {k: v for k, v in env.items() if k != "ciphertext"}
    kdf = env["kdf"]
    key = _key(passphrase, _unb64(kdf.get("salt"), "salt"), kdf["n"], kdf["r"], kdf["p"])
    try:
        body = AESGCM(key).decrypt(_unb64(env.get("nonce"), "nonce"), ct, _aad(header))
    except InvalidTag:
        raise SealError(
            f"cannot open '{path}': wrong passphrase, or the file was modified"
        ) from None
    if len(body) < 4:
        raise SealError("sealed file: empty payload")
    (size,) = struct.unpack(">I", body[:4])
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body[4 : 4 + size])) as gz:
            raw = gz.read(MAX_PLAIN + 1)
    except (OSError, EOFError):
        raise SealError("sealed file: payload is not gzip") from None
    if len(raw) > MAX_PLAIN:
        raise SealError("sealed file: payload too large")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
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
    with log.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return rec


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
