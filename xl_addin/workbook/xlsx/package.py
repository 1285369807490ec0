"""The zip container: copy untouched members byte for byte, write new ones, replace atomically.

Python's ``zipfile`` can only re-compress a member, which changes its bytes. ``PackageWriter``
copies a member's local header and compressed data verbatim from the source and re-emits its
central-directory record with only the offset changed, so every part the product does not own
comes out byte-identical. New members get a fixed timestamp (1980-01-01) so that writing the
same content twice gives the same bytes. Zip64 (members or files of 4 GiB and more) is not
supported and raises WorkbookError.
"""

from __future__ import annotations

import os
import queue
import struct
import tempfile
import threading
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from ...errors import WorkbookError, reason

try:  # ISA-L's deflate: the same format, about 4x faster than zlib's fastest level
    from isal import isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib alone still works
    isal_zlib = None

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_DESCRIPTOR = b"PK\x07\x08"
_LIMIT = 0xFFFFFFFF
_DOS_DATE_1980 = (1 << 5) | 1  # 1980-01-01
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One member of the source zip: its name and where its raw bytes are."""

    name: str
    central_record: bytes  # the original central-directory record, offset field included
    local_offset: int
    compressed_size: int
    flags: int


class SourcePackage:
    """A zip file opened for reading: member names, contents, and raw member bytes."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        try:
            self._file = open(self.path, "rb")
        except OSError as exc:
            raise WorkbookError(f"cannot open '{self.path}': {reason(exc)}") from None
        try:
            self.members = _read_central_directory(self._file, self.path)
            self._zip = zipfile.ZipFile(self._file)
        except (zipfile.BadZipFile, struct.error) as exc:
            self._file.close()
            raise WorkbookError(f"'{self.path}' is not an Excel workbook (not a zip file): {reason(exc)}") from None
        self.comment = self._zip.comment
        self._by_name = {m.name: m for m in self.members}
        self._closed = False

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def crc_and_size(self, name: str) -> tuple[int, int]:
        """CRC-32 and uncompressed size of a member, from the central directory."""
        crc, _, size = struct.unpack("<3L", self._by_name[name].central_record[16:28])
        return crc, size

    def read(self, name: str) -> bytes:
        """A member's uncompressed bytes (CRC checked). A large deflated member is inflated
        with ISA-L (our 58 MB Tiers sheet: 0.07 s against zlib's 0.2 s)."""
        member = self._by_name.get(name)
        if member is not None and member.compressed_size >= _CHUNK and not member.flags & 1:
            crc, _, size = struct.unpack("<3L", member.central_record[16:28])
            method, = struct.unpack("<H", member.central_record[10:12])
            if method == zipfile.ZIP_DEFLATED:
                self._file.seek(member.local_offset)
                header = self._file.read(30)
                if header[:4] == _LOCAL:
                    name_len, extra_len = struct.unpack("<HH", header[26:30])
                    self._file.seek(member.local_offset + 30 + name_len + extra_len)
                    data = inflate(self._file.read(member.compressed_size), size, crc)
                    if data is not None:
                        return data
        return self._zip.read(name)  # small, stored, or odd: zipfile reads it and words any error

    def open(self, name: str) -> BinaryIO:
        """A member as a stream of its uncompressed bytes."""
        return self._zip.open(name)

    def raw_chunks(self, member: Member) -> Iterator[bytes]:
        """The member's local header, compressed data and data descriptor, as stored."""
        self._file.seek(member.local_offset)
        header = self._file.read(30)
        if header[:4] != _LOCAL:
            raise WorkbookError(f"'{self.path}': bad local header for {member.name}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        remaining = name_len + extra_len + member.compressed_size
        yield header
        while remaining:
            block = self._file.read(min(remaining, _CHUNK))
            if not block:
                raise WorkbookError(f"'{self.path}' is truncated inside {member.name}")
            remaining -= len(block)
            yield block
        if member.flags & 0x08:
            head = self._file.read(4)
            yield head + self._file.read(12 if head == _DESCRIPTOR else 8)

    def close(self, *, in_background: bool = False) -> None:
        """Close the file (again: nothing). ``in_background``: in a second thread, for a
        file just replaced by the package written from it (a refresh in place): the last
        handle of the old file frees its pages and blocks in the kernel, 0.06 s for an
        85 MB workbook, while the refresh goes on."""
        if self._closed:
            return
        self._closed = True
        if in_background:
            threading.Thread(target=self._close_files, name="xlsx-close-replaced",
                             daemon=True).start()
        else:
            self._close_files()

    def _close_files(self) -> None:
        self._zip.close()
        self._file.close()

    def __enter__(self) -> SourcePackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def inflate(data: bytes | memoryview, size: int, crc: int) -> bytes | None:
    """Raw deflate ``data`` inflated (ISA-L when installed: about 3x zlib's speed), or None
    when it does not inflate to ``size`` bytes with CRC-32 ``crc`` (the caller then reads
    the member with zipfile, which says what is wrong)."""
    engine = isal_zlib if isal_zlib is not None else zlib
    try:
        found = engine.decompress(data, -15, size or 1)
    except Exception:  # isal and zlib raise their own errors
        return None
    if len(found) != size or engine.crc32(found) != crc:
        return None
    return found


def _read_central_directory(file: BinaryIO, path: Path) -> list[Member]:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    tail_len = min(size, 65536 + 22)
    file.seek(size - tail_len)
    tail = file.read(tail_len)
    at = tail.rfind(_END)
    if at < 0:
        raise zipfile.BadZipFile("no end of central directory")
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack("<4s4H2LH", tail[at:at + 22])
    if count == 0xFFFF or cd_offset == _LIMIT:
        raise WorkbookError(f"'{path}' is a Zip64 file, which this writer does not support")
    file.seek(cd_offset)
    data = file.read(cd_size)
    members, pos = [], 0
    for _ in range(count):
        if data[pos:pos + 4] != _CENTRAL:
            raise zipfile.BadZipFile("bad central directory")
        flags, = struct.unpack("<H", data[pos + 8:pos + 10])
        compressed, = struct.unpack("<L", data[pos + 20:pos + 24])
        name_len, extra_len, comment_len = struct.unpack("<3H", data[pos + 28:pos + 34])
        offset, = struct.unpack("<L", data[pos + 42:pos + 46])
        end = pos + 46 + name_len + extra_len + comment_len
        raw_name = data[pos + 46:pos + 46 + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        if compressed == _LIMIT or offset == _LIMIT:
            raise WorkbookError(f"'{path}': member {name} uses Zip64, which is not supported")
        members.append(Member(name, data[pos:end], offset, compressed, flags))
        pos = end
    return members


class PackageWriter:
    """Writes a zip member by member: raw copies and new deflated members.

    After a large raw copy (a million-row sales sheet, 70 MB) the bytes written so far go to
    the disk in a second thread (``fsync`` of a duplicate of the file's descriptor) while the
    new members are made: the fsync that ``atomic_output`` makes before the rename then
    waits for the rest only (0.1-0.2 s less on a 85 MB workbook). It changes when bytes reach
    the disk, never what is written; ``close`` waits for it. ``sync_early=False``: never (a
    temporary file, which is not synced at all)."""

    EARLY_SYNC_BYTES = 16 * 2**20  # copied bytes not yet on disk that start a flush

    def __init__(self, file: BinaryIO, compresslevel: int = 6, sync_early: bool = True) -> None:
        self._file = file
        self._level = compresslevel
        self._sync_early_on = sync_early  # False: a temporary file, never synced
        self._central: list[bytes] = []
        self._names: set[str] = set()
        self._unsynced = 0
        self._syncing: threading.Thread | None = None

    def _sync_early(self) -> None:
        """Start writing what is in the file so far to the disk, in a second thread (one at a
        time); a file without a descriptor (in memory) or one that cannot be synced is left
        to the final fsync."""
        if self._syncing is not None and self._syncing.is_alive():
            return
        try:
            self._file.flush()
            descriptor = os.dup(self._file.fileno())
        except (AttributeError, OSError, ValueError):  # io.BytesIO and the like
            return

        def sync() -> None:
            try:
                os.fsync(descriptor)
            except OSError:
                pass  # the final fsync in atomic_output reports what matters
            finally:
                os.close(descriptor)

        self._unsynced = 0
        self._syncing = threading.Thread(target=sync, name="xlsx-early-fsync", daemon=True)
        self._syncing.start()

    def _start(self, name: str) -> int:
        if name in self._names:
            raise WorkbookError(f"internal error: zip member {name} written twice")
        self._names.add(name)
        offset = self._file.tell()
        if offset >= _LIMIT:
            raise WorkbookError("the workbook would exceed 4 GiB, which this writer does not support")
        return offset

    def copy(self, source: SourcePackage, member: Member) -> None:
        """Copy ``member`` exactly as stored in ``source``."""
        offset = self._start(member.name)
        for block in source.raw_chunks(member):
            self._file.write(block)
        record = member.central_record
        self._central.append(record[:42] + struct.pack("<L", offset) + record[46:])
        self._unsynced += member.compressed_size
        if self._unsynced >= self.EARLY_SYNC_BYTES and self._sync_early_on:
            self._sync_early()

    def reserve(self, name: str) -> int:
        """A place in the central directory for ``name``, which ``write(..., slot=)`` writes
        later: a member made ahead (``DeflatedAhead``) is written after the ones that follow
        it in the package, while the central directory keeps the package's order."""
        self._central.append(b"")
        return len(self._central) - 1

    def write(self, name: str, content: bytes | Iterable[bytes] | DeflatedAhead,
              level: int | None = None, speed_first: bool = False, stored: bool = False,
              slot: int | None = None) -> tuple[int, int]:
        """A new deflated member from bytes or from an iterable of byte chunks (streamed);
        ``level`` is the zlib level (default: the writer's). ``speed_first``: ISA-L's level 1
        instead when installed (a large part written on every refresh: on the 58.6 MB Tiers
        sheet 0.10 s of CPU for 10.2 MB, against zlib's 0.45 s for 9.3 MB at level 3; the
        bytes differ from zlib's, so they depend on the isal version). Streamed chunks are
        compressed and written by a second thread while the next chunk is made (zlib, ISA-L
        and Arrow let go of the GIL); one compressor takes the chunks in order, so the bytes
        do not depend on the timing. ``stored``: not compressed at all (zip method 0), for a
        temporary package whose reader would only spend time inflating it. Returns the
        member's CRC-32 and uncompressed size. ``content`` a ``DeflatedAhead``: its bytes
        once made (its level and ``speed_first`` apply). ``slot``: the place ``reserve`` gave
        ``name`` in the central directory."""
        offset = self._start(name)
        raw_name = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        header = struct.pack("<4s5H3L2H", _LOCAL, 20, flags, method, 0,
                             _DOS_DATE_1980, 0, 0, 0, len(raw_name), 0)
        self._file.write(header + raw_name)
        deflater: _Deflater
        if isinstance(content, DeflatedAhead):
            deflater = content.wait()
            for piece in content.data():
                self._file.write(piece)
        else:
            deflater = _Storer(self._file) if stored else _Deflater(
                self._file, self._level if level is None else level,
                speed_first and isal_zlib is not None)
            if isinstance(content, (bytes, bytearray, memoryview)):
                deflater.add(content)
                deflater.finish()
            else:
                deflater.run_beside(content)
        crc, compressed, size = deflater.crc, deflater.compressed, deflater.size
        if size >= _LIMIT or compressed >= _LIMIT:
            raise WorkbookError(f"zip member {name} would exceed 4 GiB, which is not supported")
        end = self._file.tell()
        self._file.seek(offset + 14)
        self._file.write(struct.pack("<3L", crc, compressed, size))
        self._file.seek(end)
        record = struct.pack("<4s6H3L5H2L", _CENTRAL, 20, 20, flags, method, 0,
                             _DOS_DATE_1980, crc, compressed, size, len(raw_name), 0, 0, 0, 0,
                             0, offset) + raw_name
        if slot is None:
            self._central.append(record)
        else:
            self._central[slot] = record
        return crc, size

    def close(self, comment: bytes = b"") -> None:
        """Write the central directory and the end record (after an early flush ended)."""
        if self._syncing is not None:
            self._syncing.join()
        if not all(self._central):
            raise WorkbookError("internal error: a reserved zip member was never written")
        start = self._file.tell()
        for record in self._central:
            self._file.write(record)
        size = self._file.tell() - start
        count = len(self._central)
        if count >= 0xFFFF or start >= _LIMIT:
            raise WorkbookError("too many zip members or too large a file for a non-Zip64 zip")
        self._file.write(struct.pack("<4s4H2LH", _END, 0, 0, count, count, size, start,
                                     len(comment)) + comment)


class _Deflater:
    """Raw deflate of one member's chunks straight into the file, with its CRC-32 and sizes."""

    _QUEUED = 4  # chunks made ahead of the compressor at most (memory: a few chunks)

    def __init__(self, file: BinaryIO, level: int, isal: bool = False) -> None:
        self._file = file
        if isal:
            self._compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
            self._crc32 = isal_zlib.crc32
        else:
            self._compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
            self._crc32 = zlib.crc32
        self.crc = self.size = self.compressed = 0

    def add(self, chunk: bytes | memoryview) -> None:
        self.crc = self._crc32(chunk, self.crc)
        self.size += len(chunk)
        out = self._compressor.compress(chunk)
        self.compressed += len(out)
        self._file.write(out)

    def finish(self) -> None:
        out = self._compressor.flush()
        self.compressed += len(out)
        self._file.write(out)

    def run_beside(self, chunks: Iterable[bytes | memoryview]) -> None:
        """Compress and write ``chunks`` in a second thread while this one makes them; an
        error on either side stops both and is raised here."""
        pending: queue.Queue = queue.Queue(self._QUEUED)
        failed: list[BaseException] = []

        def work() -> None:
            while (chunk := pending.get()) is not None:
                if not failed:
                    try:
                        self.add(chunk)
                    except BaseException as exc:  # noqa: BLE001  (re-raised in the caller)
                        failed.append(exc)
            if not failed:
                try:
                    self.finish()
                except BaseException as exc:  # noqa: BLE001
                    failed.append(exc)

        worker = threading.Thread(target=work, name="xlsx-deflate", daemon=True)
        worker.start()
        try:
            for chunk in chunks:
                if failed:
                    break
                if len(chunk):
                    pending.put(chunk)
        finally:
            pending.put(None)
            worker.join()
        if failed:
            raise failed[0]


class DeflatedAhead:
    """One member's chunks deflated into memory by a thread of its own, from now on, so that a
    large worksheet is made while the writer copies and writes the other members (one core
    was idle then: the sheet's own threads wait on each other). ``PackageWriter.write`` takes
    it as content. The same compressor, level and chunks as a member streamed in its turn:
    the same bytes. ``cancel`` stops it after the chunk in hand (the write failed)."""

    def __init__(self, chunks: Iterable[bytes | memoryview], level: int,
                 speed_first: bool = False) -> None:
        self._chunks = chunks
        self._buffer = _Pieces()
        self._deflater = _Deflater(self._buffer, level, speed_first and isal_zlib is not None)
        self._failed: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._deflater.run_beside(self._until_cancelled())
        except BaseException as exc:  # noqa: BLE001  (raised in the caller by ``wait``)
            self._failed = exc

    def _until_cancelled(self) -> Iterator[bytes | memoryview]:
        for chunk in self._chunks:
            if self._cancelled:
                return
            yield chunk

    def wait(self) -> _Deflater:
        """The finished deflater (CRC-32 and sizes); an error in making it is raised here."""
        self._thread.join()
        if self._failed is not None:
            raise self._failed
        if self._cancelled:
            raise WorkbookError("internal error: a cancelled zip member was written")
        return self._deflater

    def data(self) -> list[bytes]:
        """The compressed bytes, in pieces."""
        return self._buffer.pieces

    def cancel(self) -> None:
        self._cancelled = True
        self._thread.join()


class _Pieces:
    """A file that keeps what is written as the pieces written: unlike ``io.BytesIO`` no
    buffer that grows by copying, which held up to twice the data at a time."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        return len(data)


class _Storer(_Deflater):
    """One member's chunks written as they are (zip method 0), with their CRC-32 and size."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._crc32 = isal_zlib.crc32 if isal_zlib is not None else zlib.crc32
        self.crc = self.size = self.compressed = 0

    def add(self, chunk: bytes | memoryview) -> None:
        self.crc = self._crc32(chunk, self.crc)
        self.size += len(chunk)
        self.compressed += len(chunk)
        self._file.write(chunk)

    def finish(self) -> None:
        pass


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it; put it back at once
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(dest: str | os.PathLike) -> Iterator[BinaryIO]:
    """A temporary file beside ``dest`` that replaces ``dest`` only when the block succeeds
    (flushed and fsynced first); on any error the temporary file is removed and ``dest`` is
    left as it was. A symbolic link is followed: the file it points to is replaced and the
    link stays a link."""
    dest = Path(os.path.realpath(dest))
    try:
        handle = tempfile.NamedTemporaryFile(dir=dest.parent or ".", prefix=f".~{dest.stem}-",
                                             suffix=".tmp", delete=False)
    except OSError as exc:
        raise WorkbookError(f"cannot write beside '{dest}': {reason(exc)}") from None
    temp = Path(handle.name)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # A temporary file is private (0600); the result gets the target's own mode, or for a
        # new file the mode any new file gets here (0666 less the umask).
        os.chmod(temp, dest.stat().st_mode & 0o7777 if dest.exists() else 0o666 & ~_umask())
        try:
            os.replace(temp, dest)
        except OSError as exc:
            raise WorkbookError(f"cannot replace '{dest}' (is it open in Excel?): {reason(exc)}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
