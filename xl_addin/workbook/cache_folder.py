"""A bounded folder of cache files: atomic stores, least-recently-used eviction.

The sales cache (``sales_cache``) and the refresh records (``refresh_records``) each keep one
file per key in their folder. A file's modification time is its last use (touched on every
hit), so eviction deletes the oldest first."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


CACHE_DIR_ENV = "CUSTOMER_TIERS_CACHE_DIR"


def sales_folder() -> Path:
    """``$CUSTOMER_TIERS_CACHE_DIR``, else the platform's user cache folder for the product
    (``~/.cache/customer-tiers/sales`` on Linux, ``%LOCALAPPDATA%\\customer-tiers\\Cache\\sales``
    on Windows): the sales cache's folder, beside which the other caches keep theirs."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("customer-tiers", appauthor=False)) / "sales"


def beside_sales(name: str) -> Path:
    """The folder ``name`` of another cache: inside ``$CUSTOMER_TIERS_CACHE_DIR`` when set,
    else beside the sales cache's folder."""
    if os.environ.get(CACHE_DIR_ENV):
        return sales_folder() / name
    return sales_folder().parent / name


def store(dest: Path, write: Callable[[BinaryIO], None], max_bytes: int) -> None:
    """Write ``dest`` through ``write`` into a temporary file beside it, then rename it into
    place: never a half-written file. OSError when it cannot be stored, or when the file
    would be larger than ``max_bytes`` (nothing is left behind)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".part-", suffix=dest.suffix, dir=dest.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        if os.path.getsize(temporary) > max_bytes:
            raise OSError("entry larger than the cache bound")
        os.replace(temporary, dest)
    except BaseException:
        remove(Path(temporary))
        raise


def evict(folder: Path, suffix: str, max_bytes: int, keep: str | None = None) -> None:
    """Delete the least recently used ``*suffix`` files of ``folder`` until they hold at most
    ``max_bytes`` in all (never the file named ``keep``, the one just written)."""
    entries = []
    for path in folder.glob(f"*{suffix}"):
        try:
            status = path.stat()
        except OSError:
            continue
        entries.append((status.st_mtime, status.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda entry: entry[0]):
        if total <= max_bytes:
            break
        if path.name == keep:
            continue
        remove(path)
        total -= size


def touch(path: Path) -> None:
    """Mark ``path`` as just used."""
    try:
        os.utime(path)
    except OSError:
        pass


def remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def code_digest(package: Path) -> str:
    """SHA-256 of the names and contents of the ``.py`` files below ``package``."""
    code = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        code.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return code.hexdigest()


@functools.cache
def product_code() -> str:
    """``code_digest`` of this product's package, once per process: part of every cache key,
    so a build between two version numbers never uses what another build stored."""
    return code_digest(Path(__file__).resolve().parents[1])


def content_key(identity: dict) -> str:
    """SHA-256 of ``identity`` (JSON-able; anything else by its text) as sorted JSON: the
    file name of a cache entry."""
    text = json.dumps(identity, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def formats_digest(formats: list[str]) -> str:
    """SHA-256 of the cell styles' number formats, in order (an entry is checked against the
    first ones it was stored with: a refresh appends styles for its own sheets)."""
    return hashlib.sha256("\n".join(formats).encode("utf-8", "surrogatepass")).hexdigest()
