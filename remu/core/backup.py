"""Backup and restore of a whole installation: the database and the uploaded files (MEDIA_ROOT)
in one tar.gz archive, with a manifest of every file's SHA-256.

The database goes in as PostgreSQL's custom format (pg_dump) when pg_dump is on PATH, as the
SQLite file (through SQLite's online backup) for SQLite, else as Django's dumpdata (JSON).
Restoring checks every checksum before touching anything, then loads the database the same way
(pg_restore, SQLite backup, or migrate + loaddata) and copies the files back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
# Rebuilt by `migrate` or per session: never in a JSON dump.
JSON_EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes"]


class BackupError(Exception):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env() -> dict:
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _dump_database(folder: Path) -> tuple[str, str]:
    """Writes the database into `folder`; returns (kind, file name)."""
    if connection.vendor == "postgresql" and shutil.which("pg_dump"):
        target = folder / "database.pgdump"
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(target)],
            env=_pg_env(),
            check=True,
            capture_output=True,
        )
        return "pg_dump", target.name
    if connection.vendor == "sqlite":
        target = folder / "database.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return "sqlite", target.name
    target = folder / "database.json"
    with target.open("w", encoding="utf-8") as out:
        call_command(
            "dumpdata",
            natural_foreign=True,
            exclude=JSON_EXCLUDED,
            indent=None,
            stdout=out,
        )
    return "json", target.name


def backup(archive: Path) -> dict:
    """Writes the archive; returns its manifest."""
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="remu-backup-") as tmp:
        folder = Path(tmp)
        kind, db_file = _dump_database(folder)
        files = {db_file: sha256(folder / db_file)}
        media = (
            sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []
        )
        for path in media:
            files[f"{MEDIA}/{path.relative_to(media_root).as_posix()}"] = sha256(path)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"kind": kind, "file": db_file, "vendor": connection.vendor},
            "files": files,
        }
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(folder / db_file, arcname=db_file)
            for path in media:
                tar.add(path, arcname=f"{MEDIA}/{path.relative_to(media_root).as_posix()}")
        os.chmod(partial, 0o600)  # personal data: readable by its owner only
        partial.replace(archive)  # never a half-written archive under the final name
    return manifest


def _extract(archive: Path, folder: Path) -> dict:
    """Extracts regular files only (no link, no path outside `folder`), then checks them all
    against the manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile():
                    raise BackupError(f"Élément inattendu dans l'archive : {member.name}")
            tar.extractall(folder, filter="data")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"Archive illisible : {exc}") from exc
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise BackupError("Archive sans manifeste.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Format d'archive inconnu : {manifest.get('format')}")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    expected = set(manifest["files"])
    if present != expected:
        raise BackupError(f"Fichiers manquants ou en trop : {sorted(present ^ expected)[:10]}")
    bad = [name for name, digest in manifest["files"].items() if sha256(folder / name) != digest]
    if bad:
        raise BackupError(f"Somme de contrôle SHA-256 fausse : {', '.join(bad[:10])}")
    return manifest


def _restore_database(kind: str, path: Path) -> None:
    if kind == "pg_dump":
        if connection.vendor != "postgresql" or not shutil.which("pg_restore"):
            raise BackupError("Cette archive se restaure dans PostgreSQL, avec pg_restore.")
        connection.close()
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "-d",
                connection.settings_dict["NAME"],
                str(path),
            ],
            env=_pg_env(),
            check=True,
            capture_output=True,
        )
    elif kind == "sqlite":
        if connection.vendor != "sqlite":
            raise BackupError("Cette archive se restaure dans SQLite.")
        connection.ensure_connection()
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)
        source.close()
    elif kind == "json":
        call_command("migrate", verbosity=0, interactive=False)
        call_command("flush", verbosity=0, interactive=False)
        call_command("loaddata", str(path), verbosity=0)
    else:
        raise BackupError(f"Type de sauvegarde inconnu : {kind}")


def _private_folders(root: Path, folder: Path) -> None:
    """Creates the folders under MEDIA_ROOT as uploads do (FILE_UPLOAD_DIRECTORY_PERMISSIONS):
    0700, never listable by other system users."""
    for part in [*reversed(folder.relative_to(root).parents), folder.relative_to(root)]:
        path = root / part
        if not path.exists():
            path.mkdir(mode=0o700)
            os.chmod(path, 0o700)  # whatever the umask


def restore(archive: Path) -> dict:
    """Checks the archive, then restores the database and the files; returns the manifest."""
    with tempfile.TemporaryDirectory(prefix="remu-restore-") as tmp:
        folder = Path(tmp)
        manifest = _extract(archive, folder)
        database = manifest["database"]
        _restore_database(database["kind"], folder / database["file"])
        media_root = Path(settings.MEDIA_ROOT)
        source = folder / MEDIA
        if source.exists():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                target = media_root / path.relative_to(source)
                _private_folders(media_root, target.parent)
                shutil.copyfile(path, target)
                os.chmod(target, 0o600)
    return manifest
