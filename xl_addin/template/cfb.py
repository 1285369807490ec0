"""An [MS-CFB] compound file writer: version 3, 512-byte sectors, a mini stream for small streams.

``write_compound_file({"PROJECT": b"...", "VBA/dir": b"..."})`` returns the file's bytes.
Storages are implied by the "/"-separated paths. Output is deterministic: no timestamps (all
zero, which the spec allows), siblings in a balanced tree of all-black nodes ([MS-CFB] 2.6.4:
marking every node black is a valid red-black tree when the tree is balanced by construction).

Sector layout: header, FAT sectors, DIFAT sectors (only past 109 FAT sectors), directory,
mini FAT, mini stream, then each regular stream in path order.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Mapping

SECTOR_SIZE = 512
MINI_SECTOR_SIZE = 64
MINI_STREAM_CUTOFF = 4096  # streams shorter than this live in the mini stream
HEADER_DIFAT_ENTRIES = 109
MAX_NAME_CHARS = 31

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
DIFSECT = 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1
_ENTRIES_PER_SECTOR = SECTOR_SIZE // 128
_IDS_PER_SECTOR = SECTOR_SIZE // 4


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, "_Entry"] = field(default_factory=dict)
    entry_id: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4 order: shorter names first, then by upper-cased code points."""
    return len(name), name.upper()


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME_CHARS or any(c in name for c in "/\\:!"):
        raise ValueError(
            f"compound file entry name {name!r} must be 1..{MAX_NAME_CHARS} characters "
            "without / \\ : !"
        )


def _build_tree(streams: Mapping[str, bytes]) -> _Entry:
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            _check_name(part)
            node = node.children.setdefault(part.upper(), _Entry(part, _STORAGE))
            if node.kind != _STORAGE:
                raise ValueError(f"{path!r}: {part!r} is a stream, not a storage")
        _check_name(parts[-1])
        if parts[-1].upper() in node.children:
            raise ValueError(f"duplicate compound file entry (names are case-insensitive): {path!r}")
        node.children[parts[-1].upper()] = _Entry(parts[-1], _STREAM, data=bytes(data))
    return root


def _number_entries(root: _Entry) -> list[_Entry]:
    """Directory order: pre-order walk, siblings in [MS-CFB] order."""
    order: list[_Entry] = []

    def visit(entry: _Entry) -> None:
        entry.entry_id = len(order)
        order.append(entry)
        for child in sorted(entry.children.values(), key=lambda e: _sort_key(e.name)):
            visit(child)

    visit(root)
    return order


def _link_siblings(entries: list[_Entry]) -> int:
    """Link sorted siblings into a balanced binary search tree; returns the subtree root's id."""
    if not entries:
        return NOSTREAM
    middle = len(entries) // 2
    node = entries[middle]
    node.left = _link_siblings(entries[:middle])
    node.right = _link_siblings(entries[middle + 1:])
    return node.entry_id


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i + 1 < count else ENDOFCHAIN


def _directory_entry(entry: _Entry | None) -> bytes:
    if entry is None:  # unused slot
        return bytes(64) + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + bytes(48)
    name = (entry.name + "\x00").encode("utf-16-le")
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBBIII", len(name), entry.kind, _BLACK, entry.left, entry.right, entry.child)
        + bytes(16)  # CLSID
        + struct.pack("<I", 0)  # state bits
        + bytes(16)  # creation and modified time: zero
        + struct.pack("<IQ", entry.start, entry.size)
    )


def _sectors(data: bytes) -> int:
    return math.ceil(len(data) / SECTOR_SIZE)


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """Bytes of a version-3 compound file holding ``streams`` ({"storage/stream": data})."""
    root = _build_tree(streams)
    entries = _number_entries(root)
    for entry in entries:
        kids = sorted(entry.children.values(), key=lambda e: _sort_key(e.name))
        entry.child = _link_siblings(kids)

    # Small streams go into the mini stream, 64-byte mini sectors chained in the mini FAT.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    large = [e for e in entries if e.kind == _STREAM and len(e.data) >= MINI_STREAM_CUTOFF]
    for entry in entries:
        if entry.kind != _STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size == 0 or entry.size >= MINI_STREAM_CUTOFF:
            continue
        count = math.ceil(entry.size / MINI_SECTOR_SIZE)
        entry.start = len(mini_fat)
        mini_fat += [0] * count
        _chain(mini_fat, entry.start, count)
        mini_stream += entry.data.ljust(count * MINI_SECTOR_SIZE, b"\x00")

    directory_sectors = math.ceil(len(entries) / _ENTRIES_PER_SECTOR)
    mini_fat_sectors = math.ceil(len(mini_fat) / _IDS_PER_SECTOR)
    mini_stream_sectors = _sectors(mini_stream)
    data_sectors = (
        directory_sectors + mini_fat_sectors + mini_stream_sectors
        + sum(_sectors(e.data) for e in large)
    )
    fat_sectors = difat_sectors = 0
    while True:  # the FAT must also describe its own sectors and the DIFAT's
        total = fat_sectors + difat_sectors + data_sectors
        need_fat = math.ceil(total / _IDS_PER_SECTOR)
        need_difat = math.ceil(max(0, need_fat - HEADER_DIFAT_ENTRIES) / (_IDS_PER_SECTOR - 1))
        if (need_fat, need_difat) == (fat_sectors, difat_sectors):
            break
        fat_sectors, difat_sectors = need_fat, need_difat

    fat = [FREESECT] * (fat_sectors * _IDS_PER_SECTOR)
    next_sector = 0
    fat_ids = list(range(next_sector, next_sector + fat_sectors))
    for sector in fat_ids:
        fat[sector] = FATSECT
    next_sector += fat_sectors
    difat_ids = list(range(next_sector, next_sector + difat_sectors))
    for sector in difat_ids:
        fat[sector] = DIFSECT
    next_sector += difat_sectors

    def allocate(count: int) -> int:
        nonlocal next_sector
        if count == 0:
            return ENDOFCHAIN
        first = next_sector
        _chain(fat, first, count)
        next_sector += count
        return first

    directory_start = allocate(directory_sectors)
    mini_fat_start = allocate(mini_fat_sectors)
    root.start = allocate(mini_stream_sectors)
    root.size = len(mini_stream)
    for entry in large:
        entry.start = allocate(_sectors(entry.data))

    header = bytearray()
    header += _SIGNATURE + bytes(16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack(
        "<IIIIIIIII",
        0,  # number of directory sectors: always 0 in version 3
        fat_sectors,
        directory_start,
        0,  # transaction signature
        MINI_STREAM_CUTOFF,
        mini_fat_start,
        mini_fat_sectors,
        difat_ids[0] if difat_ids else ENDOFCHAIN,
        difat_sectors,
    )
    header_difat = fat_ids[:HEADER_DIFAT_ENTRIES]
    header += struct.pack(f"<{HEADER_DIFAT_ENTRIES}I", *(header_difat + [FREESECT] * (HEADER_DIFAT_ENTRIES - len(header_difat))))
    assert len(header) == SECTOR_SIZE

    body = bytearray()
    body += struct.pack(f"<{len(fat)}I", *fat)
    rest = fat_ids[HEADER_DIFAT_ENTRIES:]
    for i, sector in enumerate(difat_ids):
        ids = rest[i * (_IDS_PER_SECTOR - 1):(i + 1) * (_IDS_PER_SECTOR - 1)]
        ids += [FREESECT] * (_IDS_PER_SECTOR - 1 - len(ids))
        following = difat_ids[i + 1] if i + 1 < len(difat_ids) else ENDOFCHAIN
        body += struct.pack(f"<{_IDS_PER_SECTOR}I", *ids, following)
    directory = b"".join(_directory_entry(e) for e in entries)
    directory += _directory_entry(None) * (directory_sectors * _ENTRIES_PER_SECTOR - len(entries))
    body += directory
    mini_fat += [FREESECT] * (mini_fat_sectors * _IDS_PER_SECTOR - len(mini_fat))
    body += struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    body += bytes(mini_stream).ljust(mini_stream_sectors * SECTOR_SIZE, b"\x00")
    for entry in large:
        body += entry.data.ljust(_sectors(entry.data) * SECTOR_SIZE, b"\x00")
    assert len(body) == next_sector * SECTOR_SIZE
    return bytes(header + body)
