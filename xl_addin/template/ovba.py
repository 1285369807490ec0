"""[MS-OVBA] pieces of a source-only VBA project: compression, data encryption and the streams.

A source-only project carries no compiled code: the ``_VBA_PROJECT`` stream says version 0xFFFF
and has no performance cache, every MODULEOFFSET is 0, so Office compiles the modules from their
source text when it opens the file ([MS-OVBA] 2.3.4.1, 2.3.4.3).

``vba_project_streams(project)`` returns every stream of the project as ``{path: bytes}``, paths
like ``"VBA/dir"``; ``cfb.write_compound_file`` puts them into a compound file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

CHUNK_SIZE = 4096  # decompressed bytes per CompressedChunk
_SIGNATURE = 0x01
CODEPAGE = 1252  # PROJECTCODEPAGE: MBCS text in the dir and PROJECT streams is Windows-1252
LCID = 0x0409  # en-US, what every English Office writes

ModuleKind = Literal["standard", "document", "class"]


# ---------------------------------------------------------------- compression (2.4.1)

def _copy_token_bits(chunk_position: int) -> tuple[int, int]:
    """(bit count of the offset, maximum match length) at ``chunk_position`` bytes into a chunk
    ([MS-OVBA] 2.4.1.3.19.1 CopyToken Help)."""
    bit_count = max((chunk_position - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(data: bytes) -> bytes:
    """Token sequences for one decompressed chunk (at most 4096 bytes), without the header.

    Greedy longest match inside the chunk; among equally long matches the nearest wins, as in
    the spec's reference algorithm. Matches may overlap the bytes they produce (runs).
    """
    out = bytearray()
    candidates: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions, oldest first
    position, end = 0, len(data)
    while position < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if position >= end:
                break
            best_length, best_offset = 0, 0
            if position >= 1 and position + 3 <= end:
                _, max_length = _copy_token_bits(position)
                limit = min(max_length, end - position)
                for start in reversed(candidates.get(data[position:position + 3], ())):
                    length = 3
                    while length < limit and data[start + length] == data[position + length]:
                        length += 1
                    if length > best_length:
                        best_length, best_offset = length, position - start
                        if length == limit:
                            break
            if best_length >= 3:
                bit_count, _ = _copy_token_bits(position)
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_length
            else:
                out.append(data[position])
                step = 1
            for p in range(position, position + step):
                if p + 3 <= end:
                    candidates.setdefault(data[p:p + 3], []).append(p)
            position += step
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """CompressedContainer for ``data`` ([MS-OVBA] 2.4.1.3.6).

    A chunk whose tokens would not fit in 4096 bytes is stored raw: always 4096 bytes, so a
    short final chunk is padded with 0x00 as the spec says (2.4.1.3.10) and decompresses to the
    data followed by those zeros. Only incompressible data longer than about 3640 bytes in the
    last chunk is raw; text (VBA source, the dir stream) never is, and round-trips exactly.
    """
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        chunk = data[start:start + CHUNK_SIZE]
        tokens = _compress_chunk(chunk)
        if len(tokens) <= CHUNK_SIZE:
            header = 0xB000 | (len(tokens) + 2 - 3)  # flag 1, signature 0b011, size - 3
            out += struct.pack("<H", header) + tokens
        else:
            header = 0x3000 | (CHUNK_SIZE + 2 - 3)  # flag 0: raw chunk, always 4096 bytes
            out += struct.pack("<H", header) + chunk.ljust(CHUNK_SIZE, b"\x00")
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Inverse of ``compress`` for any valid CompressedContainer ([MS-OVBA] 2.4.1.3.1)."""
    if not container or container[0] != _SIGNATURE:
        raise ValueError("not a CompressedContainer: first byte must be 0x01")
    out = bytearray()
    position = 1
    while position < len(container):
        if position + 2 > len(container):
            raise ValueError(f"truncated chunk header at byte {position}")
        (header,) = struct.unpack_from("<H", container, position)
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {position}")
        chunk_end = min(position + (header & 0x0FFF) + 3, len(container))
        position += 2
        chunk_start = len(out)
        if not header & 0x8000:
            out += container[position:min(position + CHUNK_SIZE, len(container))]
            position = chunk_end
            continue
        while position < chunk_end:
            flags = container[position]
            position += 1
            for bit in range(8):
                if position >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[position])
                    position += 1
                    continue
                (token,) = struct.unpack_from("<H", container, position)
                position += 2
                bit_count, _ = _copy_token_bits(len(out) - chunk_start)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                source = len(out) - offset
                if source < chunk_start:
                    raise ValueError("copy token points before the start of its chunk")
                for i in range(length):  # byte by byte: a copy may overlap what it writes
                    out.append(out[source + i])
    return bytes(out)


# ---------------------------------------------------------------- data encryption (2.4.3)

def project_key(project_id: str) -> int:
    """ProjKey: the sum of the bytes of the project's CLSID text, modulo 256."""
    return sum(project_id.encode("ascii")) & 0xFF


def encrypt(project_id: str, data: bytes, seed: int = 0x00) -> str:
    """Data Encryption of ``data`` as the hex text used by CMG=, DPB= and GC= ([MS-OVBA] 2.4.3.2).

    ``seed`` is fixed (not random) so that the same sources give the same bytes; with seed 0 no
    ignored bytes are written (IgnoredLength = (seed & 6) / 2).
    """
    version, key = 2, project_key(project_id)
    out = bytearray([seed, seed ^ version, seed ^ key])
    unencrypted1, encrypted1, encrypted2 = key, out[2], out[1]
    payload = bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data
    for byte in payload:
        encrypted = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(encrypted)
        encrypted2, encrypted1, unencrypted1 = encrypted1, encrypted, byte
    return out.hex().upper()


def decrypt(hex_text: str) -> bytes:
    """Data of an encrypted CMG/DPB/GC value ([MS-OVBA] 2.4.3.3)."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("encrypted data: version must be 2")
    unencrypted1, encrypted1, encrypted2 = seed ^ key_enc, key_enc, version_enc
    plain = bytearray()
    for encrypted in raw[3:]:
        byte = encrypted ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, encrypted, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4:])
    if len(data) != length:
        raise ValueError(f"encrypted data: length says {length}, found {len(data)} bytes")
    return data


# ---------------------------------------------------------------- the project

@dataclass(frozen=True)
class VbaModule:
    """One module: its VBA name, kind and source text as stored in the module stream
    (starting with ``Attribute VB_Name = "..."``; lines joined with CRLF on write)."""

    name: str
    kind: ModuleKind
    source: str


@dataclass(frozen=True)
class VbaReference:
    """A registered type library the project references (REFERENCENAME + REFERENCEREGISTERED)."""

    name: str
    libid: str


# What Excel puts into every new workbook's project. Office (MSO.DLL) defines IRibbonControl,
# the type of the ribbon callbacks' argument; VBA and Excel themselves are implicit.
STDOLE = VbaReference(
    "stdole",
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
)
OFFICE = VbaReference(
    "Office",
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
)


@dataclass(frozen=True)
class VbaProject:
    """A VBA project: name, a fixed CLSID-shaped id (it keys the CMG/DPB/GC obfuscation), modules."""

    name: str
    project_id: str
    modules: tuple[VbaModule, ...]
    references: tuple[VbaReference, ...] = (STDOLE, OFFICE)

    def __post_init__(self) -> None:
        names = [m.name.lower() for m in self.modules]
        if len(set(names)) != len(names):
            raise ValueError(f"VBA module names must be unique (case-insensitive): {names}")
        for module in self.modules:
            first = module.source.splitlines()[0] if module.source else ""
            if first != f'Attribute VB_Name = "{module.name}"':
                raise ValueError(
                    f"module {module.name!r}: source must start with "
                    f"'Attribute VB_Name = \"{module.name}\"', found {first!r}"
                )


def _mbcs(text: str) -> bytes:
    return text.encode(f"cp{CODEPAGE}")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _record_with_unicode(record_id: int, text: str, reserved_id: int) -> bytes:
    """A record holding MBCS text followed by its UTF-16 twin behind a reserved id."""
    return _record(record_id, _mbcs(text)) + _record(reserved_id, _utf16(text))


def module_source_bytes(module: VbaModule) -> bytes:
    """Source text as stored: Windows-1252 with CRLF line ends (VBA's own convention)."""
    lines = module.source.splitlines()
    return _mbcs("\r\n".join(lines) + "\r\n")


def dir_stream(project: VbaProject) -> bytes:
    """Decompressed dir stream ([MS-OVBA] 2.3.4.2): information, references, modules."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 0x00000001))  # PROJECTSYSKIND: Win32
    out += _record(0x0002, struct.pack("<I", LCID))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", LCID))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODEPAGE))  # PROJECTCODEPAGE
    out += _record(0x0004, _mbcs(project.name))  # PROJECTNAME
    out += _record_with_unicode(0x0005, "", 0x0040)  # PROJECTDOCSTRING
    out += _record(0x0006, b"") + _record(0x003D, b"")  # PROJECTHELPFILEPATH (both copies empty)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    # PROJECTVERSION: its Reserved field (4) stands where other records keep their size.
    out += struct.pack("<HIIH", 0x0009, 0x00000004, 1, 0)
    out += _record_with_unicode(0x000C, "", 0x003C)  # PROJECTCONSTANTS
    for reference in project.references:
        out += _record_with_unicode(0x0016, reference.name, 0x003E)  # REFERENCENAME
        libid = _mbcs(reference.libid)
        body = struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0)
        out += _record(0x000D, body)  # REFERENCEREGISTERED
    out += _record(0x000F, struct.pack("<H", len(project.modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in project.modules:
        out += _record(0x0019, _mbcs(module.name))  # MODULENAME
        out += _record(0x0047, _utf16(module.name))  # MODULENAMEUNICODE
        out += _record_with_unicode(0x001A, module.name, 0x0032)  # MODULESTREAMNAME
        out += _record_with_unicode(0x001C, "", 0x0048)  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at byte 0
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        module_type = 0x0021 if module.kind == "standard" else 0x0022
        out += _record(module_type, b"")  # MODULETYPE (its Reserved u32 0 is the "size")
        out += _record(0x002B, b"")  # MODULE Terminator + Reserved
    out += _record(0x0010, b"")  # dir Terminator + Reserved
    return bytes(out)


def project_stream(project: VbaProject) -> bytes:
    """PROJECT stream text ([MS-OVBA] 2.3.1): module list, name, unprotected and visible."""
    lines = [f'ID="{project.project_id}"']
    for module in project.modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project.name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(project.project_id, bytes(4))}"',  # ProjectProtectionState: none
        f'DPB="{encrypt(project.project_id, bytes(1))}"',  # ProjectPassword: none
        f'GC="{encrypt(project.project_id, bytes([0xFF]))}"',  # ProjectVisibilityState: visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in project.modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def projectwm_stream(project: VbaProject) -> bytes:
    """PROJECTwm stream ([MS-OVBA] 2.3.3): each module name in MBCS and UTF-16, null-terminated."""
    out = bytearray()
    for module in project.modules:
        out += _mbcs(module.name) + b"\x00" + _utf16(module.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


# Reserved1 0x61CC, Version 0xFFFF (= no compiled state, recompile), Reserved2 0x00, Reserved3 0.
VBA_PROJECT_STREAM = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000)


def vba_project_streams(project: VbaProject) -> dict[str, bytes]:
    """Every stream of the project's storage, keyed by path ("PROJECT", "VBA/dir", ...)."""
    streams = {
        "PROJECT": project_stream(project),
        "PROJECTwm": projectwm_stream(project),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(project)),
    }
    for module in project.modules:
        streams[f"VBA/{module.name}"] = compress(module_source_bytes(module))
    return streams

