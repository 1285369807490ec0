"""[MS-OVBA] compression, data encryption and the dir/PROJECT streams."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from xl_addin.template.ovba import (
    CHUNK_SIZE, VBA_PROJECT_STREAM, VbaModule, VbaProject, compress, decompress, decrypt,
    dir_stream, encrypt, module_source_bytes, project_key, project_stream, projectwm_stream,
)

# [MS-OVBA] 3.2.1-3.2.2: the spec's own compression examples.
SPEC_NO_COMPRESSION = (
    b"abcdefghijklmnopqrstuv.",
    bytes.fromhex("01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"),
)
SPEC_NORMAL = (
    b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
    bytes.fromhex(
        "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E"
        " 6F 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C"
    ),
)


def oletools_decompress(container: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(container)))


@pytest.mark.parametrize("plain, packed", [SPEC_NO_COMPRESSION, SPEC_NORMAL], ids=["literals", "normal"])
def test_compress_matches_the_spec_examples_byte_for_byte(plain, packed):
    assert compress(plain) == packed
    assert decompress(packed) == plain


def test_empty_input_is_just_the_signature():
    assert compress(b"") == b"\x01"
    assert decompress(b"\x01") == b""


def test_a_long_run_becomes_one_copy_token_per_chunk():
    # Flags 0b10, literal 'a', then one token at position 1 (4-bit offset field): offset 1,
    # length 4095 -> (0 << 12) | (4095 - 3) = 0x0FFC. The copy overlaps what it writes.
    # Chunk header: compressed, signature 0b011, 6 bytes - 3 = 0xB003.
    packed = compress(b"a" * CHUNK_SIZE)
    assert packed == bytes.fromhex("01 03 B0 02 61 FC 0F")
    assert decompress(packed) == b"a" * CHUNK_SIZE


def test_incompressible_chunk_is_stored_raw():
    data = os.urandom(CHUNK_SIZE)
    packed = compress(data)
    (header,) = struct.unpack_from("<H", packed, 1)
    assert header & 0x8000 == 0  # raw chunk flag
    assert packed[3:] == data


def test_decompress_rejects_garbage():
    with pytest.raises(ValueError, match="CompressedContainer"):
        decompress(b"\x02abc")
    with pytest.raises(ValueError, match="signature"):
        decompress(b"\x01\x00\x00")


runs = st.lists(st.tuples(st.integers(0, 255), st.integers(1, 5000)), max_size=6).map(
    lambda parts: b"".join(bytes([b]) * n for b, n in parts))
around_chunk_edges = st.integers(-3, 3).flatmap(
    lambda delta: st.sampled_from([CHUNK_SIZE, 2 * CHUNK_SIZE]).flatmap(
        lambda edge: st.binary(min_size=edge + delta, max_size=edge + delta)))
text_like = st.text(alphabet="Sub End If Then\r\n \"()=.abc", max_size=9000).map(lambda s: s.encode())


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=10000), runs, around_chunk_edges, text_like))
def test_compress_round_trips_through_both_decompressors(data):
    packed = compress(data)
    expected = data
    if _last_chunk_is_raw(packed, data):  # spec: a short raw chunk is padded with zeros
        expected = data + bytes(-len(data) % CHUNK_SIZE)
    assert decompress(packed) == expected
    assert oletools_decompress(packed) == expected


def _last_chunk_is_raw(packed: bytes, data: bytes) -> bool:
    if not data:
        return False
    position, header = 1, 0
    while position < len(packed):
        (header,) = struct.unpack_from("<H", packed, position)
        position += 2 + (header & 0x0FFF) + 1
    return not header & 0x8000


def test_short_incompressible_tail_is_a_padded_raw_chunk():
    data = os.urandom(CHUNK_SIZE + 4000)
    packed = compress(data)
    assert len(packed) == 1 + 2 * (2 + CHUNK_SIZE)
    assert decompress(packed) == data + bytes(96)
    assert oletools_decompress(packed) == data + bytes(96)


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(0, 255))
def test_encrypt_round_trips(data, seed):
    assert decrypt(encrypt("{1F0AD531-EE02-4309-9A90-9D7BED514CB9}", data, seed)) == data


def test_decrypt_reads_what_excel_wrote():
    # PROJECT stream of an Excel-saved workbook (xlwings' quickstart.xlsm): no protection,
    # no password, visible; the key byte is the checksum of its ID.
    project_id = "{E2E0E410-BF04-4DC5-BDD2-D3FBBA8B7D37}"
    assert decrypt("A7A58C2B7CDD73E173E173E173E1") == bytes(4)
    assert decrypt("A2A089308531853185") == b"\x00"
    assert decrypt("9D9FB6314A2D4B2D4BD2") == b"\xff"
    assert bytes.fromhex("A7A58C")[0] ^ bytes.fromhex("A7A58C")[2] == project_key(project_id)


PROJECT = VbaProject(
    "VBAProject",
    "{1F0AD531-EE02-4309-9A90-9D7BED514CB9}",
    (
        VbaModule("ThisWorkbook", "document", 'Attribute VB_Name = "ThisWorkbook"\nOption Explicit'),
        VbaModule("Tools", "standard", 'Attribute VB_Name = "Tools"\nPublic Sub A()\nEnd Sub\n'),
    ),
)


def read_records(stream: bytes) -> list[tuple[int, bytes]]:
    """(id, payload) of each dir record, the reader's way: PROJECTVERSION's 'size' is fixed."""
    records, position = [], 0
    while position < len(stream):
        record_id, size = struct.unpack_from("<HI", stream, position)
        if record_id == 0x0009:
            size = 6
        records.append((record_id, stream[position + 6:position + 6 + size]))
        position += 6 + size
    return records


def test_dir_stream_records_in_spec_order():
    ids = [record_id for record_id, _ in read_records(dir_stream(PROJECT))]
    information = [0x01, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x09, 0x0C, 0x3C]
    references = [0x16, 0x3E, 0x0D] * 2
    module = [0x19, 0x47, 0x1A, 0x32, 0x1C, 0x48, 0x31, 0x1E, 0x2C]
    assert ids == (
        information + references + [0x0F, 0x13]
        + module + [0x22, 0x2B] + module + [0x21, 0x2B] + [0x10]
    )
    records = dict(read_records(dir_stream(PROJECT)))
    assert records[0x03] == struct.pack("<H", 1252)
    assert records[0x04] == b"VBAProject"
    assert records[0x0F] == struct.pack("<H", 2)
    assert records[0x31] == struct.pack("<I", 0)  # MODULEOFFSET: source-only


def test_project_stream_lists_modules_and_an_unprotected_visible_project():
    text = project_stream(PROJECT).decode("cp1252")
    lines = text.split("\r\n")
    assert lines[:4] == [
        'ID="{1F0AD531-EE02-4309-9A90-9D7BED514CB9}"',
        "Document=ThisWorkbook/&H00000000",
        "Module=Tools",
        'Name="VBAProject"',
    ]
    values = dict(line.split("=", 1) for line in lines if line.startswith(("CMG=", "DPB=", "GC=")))
    assert decrypt(values["CMG"].strip('"')) == bytes(4)
    assert decrypt(values["DPB"].strip('"')) == b"\x00"
    assert decrypt(values["GC"].strip('"')) == b"\xff"


def test_projectwm_and_vba_project_streams():
    assert projectwm_stream(PROJECT) == (
        b"ThisWorkbook\x00" + "ThisWorkbook".encode("utf-16-le") + b"\x00\x00"
        + b"Tools\x00" + "Tools".encode("utf-16-le") + b"\x00\x00" + b"\x00\x00"
    )
    assert VBA_PROJECT_STREAM == bytes.fromhex("CC61FFFF000000")


def test_module_source_is_stored_with_crlf():
    assert module_source_bytes(PROJECT.modules[1]) == b'Attribute VB_Name = "Tools"\r\nPublic Sub A()\r\nEnd Sub\r\n'


def test_project_rejects_a_module_whose_source_names_another_module():
    with pytest.raises(ValueError, match="must start with"):
        VbaProject("P", "{0}", (VbaModule("A", "standard", 'Attribute VB_Name = "B"'),))
    with pytest.raises(ValueError, match="unique"):
        VbaProject("P", "{0}", (VbaModule("A", "standard", 'Attribute VB_Name = "A"'),) * 2)
