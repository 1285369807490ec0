"""PackageWriter: a streamed member is compressed in a second thread while the next chunk is
made. The member must read back as written, the bytes must not depend on thread timing, and a
failure on either side (the chunk maker or the file) must surface in the caller and leave no
thread behind."""

from __future__ import annotations

import io
import random
import threading
import time
import zipfile
import zlib

import pytest

from xl_addin.errors import WorkbookError
from xl_addin.workbook.xlsx.package import PackageWriter


def _chunks(n: int = 40, size: int = 50_000):
    for i in range(n):
        yield (f"<row r=\"{i}\">" + "x" * (i % 7) + "</row>").encode() * (size // 20)


def _zip(members: dict) -> bytes:
    out = io.BytesIO()
    writer = PackageWriter(out)
    for name, content in members.items():
        writer.write(name, content, 1)
    writer.close()
    return out.getvalue()


def test_a_streamed_member_reads_back_and_equals_the_same_bytes_written_at_once():
    whole = b"".join(_chunks())
    streamed = _zip({"a.xml": _chunks(), "b.xml": b"<b/>"})
    with zipfile.ZipFile(io.BytesIO(streamed)) as package:
        assert package.testzip() is None  # every CRC checks
        assert package.read("a.xml") == whole and package.read("b.xml") == b"<b/>"
    # zlib's output does not depend on where the input is cut, so neither on the thread timing
    assert streamed == _zip({"a.xml": [whole], "b.xml": b"<b/>"})
    assert streamed == _zip({"a.xml": whole, "b.xml": b"<b/>"})


def test_memoryview_chunks_are_accepted():
    data = b"<c><v>1</v></c>" * 10_000
    chunks = iter([memoryview(data)[:7], memoryview(data)[7:]])
    with zipfile.ZipFile(io.BytesIO(_zip({"m.xml": chunks}))) as package:
        assert package.read("m.xml") == data


def test_an_error_while_making_chunks_is_raised_and_the_thread_stops():
    def failing():
        yield b"<a>" * 100_000
        raise ValueError("bad cell")

    before = threading.active_count()
    with pytest.raises(ValueError, match="bad cell"):
        PackageWriter(io.BytesIO()).write("a.xml", failing())
    assert threading.active_count() == before


class _FullDisk(io.BytesIO):
    """A file that refuses to grow past ``limit`` bytes, as a full disk does."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data) -> int:
        if self.tell() + len(data) > self.limit:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_a_write_error_in_the_compressor_thread_is_raised_in_the_caller():
    made = []

    def chunks():
        for i in range(1000):
            made.append(i)
            yield random.Random(i).randbytes(1 << 20)  # 1 MB that does not compress

    before = threading.active_count()
    with pytest.raises(OSError, match="No space left"):
        PackageWriter(_FullDisk(3_000_000)).write("a.xml", chunks())
    assert threading.active_count() == before
    assert len(made) < 20  # the chunk maker stopped soon after the failure


def test_compressed_size_and_crc_in_the_directory_match_the_data():
    data = b"".join(_chunks(5))
    with zipfile.ZipFile(io.BytesIO(_zip({"a.xml": _chunks(5)}))) as package:
        info = package.getinfo("a.xml")
        assert info.CRC == zlib.crc32(data) and info.file_size == len(data)
        assert info.compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("speed_first", [False, True])
def test_speed_first_members_read_back_with_zipfile(speed_first):
    """ISA-L's deflate (speed_first, when installed) is read by the standard zlib inflater."""
    data = b"".join(_chunks(8))
    out = io.BytesIO()
    writer = PackageWriter(out)
    writer.write("xl/worksheets/sheet1.xml", _chunks(8), 3, speed_first=speed_first)
    writer.write("small.xml", b"<small/>", speed_first=speed_first)
    writer.close()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        assert package.testzip() is None
        assert package.read("xl/worksheets/sheet1.xml") == data
        assert package.read("small.xml") == b"<small/>"


def test_a_large_member_reads_as_zipfile_reads_it_and_a_damaged_one_is_refused(tmp_path):
    """SourcePackage.read inflates a large deflated member itself (ISA-L): the same bytes as
    zipfile; a member whose bytes do not match its CRC goes to zipfile, which refuses it."""
    from xl_addin.workbook.xlsx.package import SourcePackage

    big = b"".join(_chunks(60))
    noise = random.Random(5).randbytes(3 * 2**20)  # incompressible: > 1 MB compressed
    path = tmp_path / "p.zip"
    path.write_bytes(_zip({"a.xml": big + noise, "small.xml": b"<a/>"}))
    with zipfile.ZipFile(path) as reference, SourcePackage(path) as package:
        assert package.read("a.xml") == reference.read("a.xml") == big + noise
        assert package.read("small.xml") == b"<a/>"
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")  # the central record of a.xml, the first member
    data[at + 16] ^= 0xFF  # its CRC-32 no longer matches the bytes
    path.write_bytes(bytes(data))
    with SourcePackage(path) as package, pytest.raises(zipfile.BadZipFile):
        package.read("a.xml")


def _copied_package(tmp_path, monkeypatch, early_bytes):
    """A package with a large stored member copied raw from a source and a new member
    after it, written to a real file with the early flush at ``early_bytes``; the fsync
    calls made meanwhile (thread names)."""
    from xl_addin.workbook.xlsx.package import SourcePackage, atomic_output

    source = _source_with_a_large_member(tmp_path)
    synced = _fsync_spy(monkeypatch)
    monkeypatch.setattr(PackageWriter, "EARLY_SYNC_BYTES", early_bytes)
    dest = tmp_path / f"out-{early_bytes}.zip"
    with SourcePackage(source) as package, atomic_output(dest) as out:
        writer = PackageWriter(out)
        for member in package.members:
            writer.copy(package, member)
        writer.write("new.xml", _chunks(4), 1)
        writer.close(package.comment)
    return dest, synced


def test_an_early_flush_after_a_large_copy_changes_no_byte(tmp_path, monkeypatch):
    before = threading.active_count()
    early, synced = _copied_package(tmp_path, monkeypatch, 2**20)
    assert synced == ["xlsx-early-fsync", "MainThread"]  # the final fsync still runs
    assert threading.active_count() == before  # close waited for it
    late, synced = _copied_package(tmp_path, monkeypatch, 2**40)
    assert synced == ["MainThread"]
    assert early.read_bytes() == late.read_bytes()
    with zipfile.ZipFile(early) as package:
        assert package.testzip() is None
        assert package.read("new.xml") == b"".join(_chunks(4))


def test_an_early_flush_is_skipped_for_a_file_without_a_descriptor():
    writer = PackageWriter(io.BytesIO())
    writer._unsynced = 2**40
    writer._sync_early()  # io.BytesIO has no descriptor: nothing to do, no error
    assert writer._syncing is None


def test_a_package_closed_in_the_background_is_closed_once(tmp_path):
    from xl_addin.workbook.xlsx.package import SourcePackage

    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.xml", b"<a/>")
    package = SourcePackage(path)
    file = package._file
    package.close(in_background=True)
    for thread in threading.enumerate():
        if thread.name == "xlsx-close-replaced":
            thread.join()
    assert file.closed
    package.close()  # the with block's close after it: nothing to do
    with SourcePackage(path) as again:
        assert again.read("a.xml") == b"<a/>"


# -- stored members and no early fsync (the two-piece parse's temporary packages) ------------------


@pytest.mark.parametrize("content", ["bytes", "chunks"])
def test_a_stored_member_reads_back_with_zipfile(content):
    whole = b"".join(_chunks(8)) + random.Random(2).randbytes(70_000)
    out = io.BytesIO()
    writer = PackageWriter(out)
    writer.write("a.xml", b"<a/>")
    crc, size = writer.write("xl/worksheets/sheet1.xml", whole if content == "bytes"
                             else [*_chunks(8), memoryview(whole)[-70_000:]], stored=True)
    writer.write("z.xml", b"<z/>")
    writer.close()
    assert (crc, size) == (zlib.crc32(whole), len(whole))
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
        assert package.testzip() is None  # every CRC checks
        info = package.getinfo("xl/worksheets/sheet1.xml")
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.compress_size == info.file_size == len(whole) and info.CRC == zlib.crc32(whole)
        assert package.read("xl/worksheets/sheet1.xml") == whole
        assert package.getinfo("a.xml").compress_type == zipfile.ZIP_DEFLATED
        assert package.read("a.xml") == b"<a/>" and package.read("z.xml") == b"<z/>"
    # the stored bytes are in the file as they are
    assert whole in out.getvalue()


def _source_with_a_large_member(tmp_path):
    """A stored zip of a 3 MiB member and a small one; the same bytes on every call (a fixed
    date: ``writestr`` with a name stamps the clock's, and two calls a second apart differed)."""
    source = tmp_path / "source.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_STORED) as z:
        for name, data in (("big.bin", random.Random(1).randbytes(3 * 2**20)), ("small.xml", b"<s/>")):
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data)
    return source


def _fsync_spy(monkeypatch) -> list[str]:
    """The names of the threads that call ``os.fsync`` from now on (the calls still sync)."""
    import os

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(threading.current_thread().name),
                                                 real_fsync(fd))[1])
    return synced


def _copied_without_atomic_output(tmp_path, monkeypatch, sync_early):
    """A large member copied into a plain file (as a piece's temporary package is written)
    with the early flush at 1 MiB; the fsync calls made (thread names)."""
    from xl_addin.workbook.xlsx.package import SourcePackage

    source = _source_with_a_large_member(tmp_path)
    synced = _fsync_spy(monkeypatch)
    monkeypatch.setattr(PackageWriter, "EARLY_SYNC_BYTES", 2**20)
    dest = tmp_path / f"out-{sync_early}.zip"
    with SourcePackage(source) as package, open(dest, "wb") as out:
        writer = PackageWriter(out, sync_early=sync_early)
        for member in package.members:
            writer.copy(package, member)
        writer.write("new.xml", b"<n/>", stored=True)
        writer.close(package.comment)
    with zipfile.ZipFile(dest) as written:
        assert written.testzip() is None
    return dest, synced


def test_sync_early_false_never_fsyncs(tmp_path, monkeypatch):
    early, synced = _copied_without_atomic_output(tmp_path, monkeypatch, True)
    assert synced == ["xlsx-early-fsync"]  # the control: 3 MiB copied start a flush
    quiet, synced = _copied_without_atomic_output(tmp_path, monkeypatch, False)
    assert synced == []
    assert quiet.read_bytes() == early.read_bytes()


# -- a member made ahead (DeflatedAhead) -----------------------------------------------------


def _local_header_order(data: bytes) -> list[str]:
    """Member names in the order their local headers sit in the file (not the directory's)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return [i.filename for i in sorted(package.infolist(), key=lambda i: i.header_offset)]


def test_a_member_made_ahead_is_the_same_bytes_and_keeps_its_place_in_the_directory():
    from xl_addin.workbook.xlsx.package import DeflatedAhead

    out = io.BytesIO()
    writer = PackageWriter(out)
    writer.write("a.xml", b"<a/>", 1)
    slot = writer.reserve("big.xml")
    ahead = DeflatedAhead(_chunks(), 1, speed_first=True)
    writer.write("c.xml", _chunks(3), 1)
    writer.write("big.xml", ahead, slot=slot)
    writer.close()

    streamed = io.BytesIO()
    plain = PackageWriter(streamed)
    plain.write("a.xml", b"<a/>", 1)
    plain.write("big.xml", _chunks(), 1, speed_first=True)
    plain.write("c.xml", _chunks(3), 1)
    plain.close()

    with zipfile.ZipFile(out) as made, zipfile.ZipFile(streamed) as other:
        assert made.testzip() is None
        assert made.namelist() == ["a.xml", "big.xml", "c.xml"]  # the directory's order
        assert made.read("big.xml") == b"".join(_chunks())
        for name in made.namelist():  # the same compressed bytes as streamed in its turn
            info, same = made.getinfo(name), other.getinfo(name)
            assert (info.CRC, info.compress_size, info.file_size) == (
                same.CRC, same.compress_size, same.file_size)
    assert _local_header_order(out.getvalue()) == ["a.xml", "c.xml", "big.xml"]


def test_an_error_while_making_a_member_ahead_is_raised_when_it_is_written():
    from xl_addin.workbook.xlsx.package import DeflatedAhead

    def failing():
        yield b"<a>" * 100_000
        raise ValueError("bad cell")

    before = threading.active_count()
    writer = PackageWriter(io.BytesIO())
    slot = writer.reserve("a.xml")
    ahead = DeflatedAhead(failing(), 1)
    with pytest.raises(ValueError, match="bad cell"):
        writer.write("a.xml", ahead, slot=slot)
    assert threading.active_count() == before


def test_a_cancelled_member_stops_making_chunks_and_cannot_be_written():
    from xl_addin.workbook.xlsx.package import DeflatedAhead

    made, release = [], threading.Event()

    def chunks():
        for i in range(1000):
            made.append(i)
            if i:
                release.wait()  # the second chunk waits until the cancel is under way
            yield b"<row/>" * 10_000

    before = threading.active_count()
    ahead = DeflatedAhead(chunks(), 1)
    canceller = threading.Thread(target=ahead.cancel)
    canceller.start()
    time.sleep(0.2)
    release.set()
    canceller.join()
    assert made in ([0], [0, 1]) and threading.active_count() == before  # stopped at once
    with pytest.raises(WorkbookError, match="cancelled"):
        PackageWriter(io.BytesIO()).write("a.xml", ahead)


def test_a_reserved_member_never_written_is_refused_on_close():
    writer = PackageWriter(io.BytesIO())
    writer.reserve("a.xml")
    with pytest.raises(WorkbookError, match="never written"):
        writer.close()
