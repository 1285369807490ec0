"""The [MS-CFB] writer, read back with olefile (strict about defects)."""

from __future__ import annotations

import io
import struct

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.template.cfb import (
    ENDOFCHAIN, MINI_STREAM_CUTOFF, SECTOR_SIZE, write_compound_file,
)


def open_ole(blob: bytes) -> olefile.OleFileIO:
    return olefile.OleFileIO(io.BytesIO(blob), raise_defects=olefile.DEFECT_INCORRECT)


def assert_reads_back(streams: dict[str, bytes]) -> olefile.OleFileIO:
    blob = write_compound_file(streams)
    assert len(blob) % SECTOR_SIZE == 0
    ole = open_ole(blob)
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(streams)
    for path, data in streams.items():
        assert ole.get_size(path) == len(data), path
        assert ole.openstream(path).read() == data, path
    return ole


def test_header_fields_of_a_version_3_file():
    blob = write_compound_file({"a": b"x"})
    assert blob[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    minor, major, byte_order, sector_shift, mini_shift = struct.unpack_from("<HHHHH", blob, 24)
    assert (minor, major, byte_order, sector_shift, mini_shift) == (0x3E, 3, 0xFFFE, 9, 6)
    (cutoff,) = struct.unpack_from("<I", blob, 56)
    assert cutoff == MINI_STREAM_CUTOFF
    (first_difat,) = struct.unpack_from("<I", blob, 68)
    assert first_difat == ENDOFCHAIN


def test_mini_and_regular_streams_on_both_sides_of_the_cutoff():
    streams = {
        "tiny": b"1",
        "just_below": bytes(range(256)) * 15 + b"x" * (MINI_STREAM_CUTOFF - 1 - 3840),
        "at_cutoff": b"c" * MINI_STREAM_CUTOFF,
        "large": bytes(range(256)) * 40 + b"tail",
        "empty": b"",
    }
    ole = assert_reads_back(streams)
    # olefile reads small streams from the mini stream: the root entry holds it.
    assert ole.root.size == 64 * (1 + 64)  # tiny: 1 mini sector; just_below (4095 bytes): 64


def test_storages_and_many_streams_span_several_directory_sectors():
    streams = {f"Storage{i % 3}/stream{i:03d}": bytes([i]) * (i * 61 % 5000) for i in range(150)}
    streams["top"] = b"top"
    ole = assert_reads_back(streams)
    assert ole.get_type("Storage1") == olefile.STGTY_STORAGE
    # 150 streams + 3 storages + root + top = 155 entries = 39 directory sectors of 4.
    assert len(ole.direntries) >= 155


def test_names_are_kept_with_their_case():
    ole = assert_reads_back({"VBA/_VBA_PROJECT": b"\xcc\x61", "PROJECTwm": b"\x00\x00"})
    assert ["VBA", "_VBA_PROJECT"] in ole.listdir()


def test_more_than_109_fat_sectors_uses_a_difat_sector():
    data = bytes(range(256)) * (110 * 128 * SECTOR_SIZE // 256)  # needs > 109 FAT sectors
    blob = write_compound_file({"big": data})
    (difat_sectors,) = struct.unpack_from("<I", blob, 72)
    assert difat_sectors == 1
    assert open_ole(blob).openstream("big").read() == data


def test_same_streams_same_bytes():
    streams = {"b": b"2" * 5000, "a": b"1"}
    assert write_compound_file(streams) == write_compound_file(dict(reversed(streams.items())))


@pytest.mark.parametrize("path", ["a/b:c", "x" * 32, "dup/A", ""], ids=["colon", "too-long", "duplicate", "empty"])
def test_bad_names_are_refused(path):
    streams = {path: b""}
    if path == "dup/A":
        streams["dup/a"] = b""
    with pytest.raises(ValueError):
        write_compound_file(streams)


names = st.text(alphabet="abcXYZ_0123", min_size=1, max_size=12)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(
    st.tuples(st.sampled_from(["", "S/", "S/T/", "U/"]), names).map(lambda t: t[0] + t[1]),
    st.binary(max_size=9000),
    max_size=12,
))
def test_any_streams_read_back_identically(streams):
    folded = {}
    for path, data in streams.items():  # CFB names are case-insensitive; storages can't be streams
        folded.setdefault(path.upper(), (path, data))
    streams = dict(folded.values())
    storages = {p.rsplit("/", 1)[0].upper() for p in streams if "/" in p}
    storages |= {s.split("/")[0] for s in storages}
    streams = {p: d for p, d in streams.items() if p.upper() not in storages}
    assert_reads_back(streams)
