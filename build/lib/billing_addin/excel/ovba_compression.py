"""[MS-OVBA] 2.4.1 compression, written from the specification: VBA module sources and the dir stream are
stored in "compressed containers" (chunks of up to 4096 bytes, LZ77 copy tokens whose offset/length split
depends on the position in the chunk).

Why here: the compressor of ms_ovba_compression 1.0.1 (used by ms_ovba) writes streams that oletools
decompresses into garbage after ~600 bytes (checked here on xlwings' VBA module), so `billing addin build`
uses this one, checked against oletools' independent decompressor on every stream it writes.
"""

from __future__ import annotations

import struct

CHUNK = 4096


def compress(data: bytes) -> bytes:
    """A CompressedContainer holding `data` (2.4.1.3.1): signature 0x01, then one chunk per 4096 bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _chunk(data[start : start + CHUNK])
    return bytes(out)


def _chunk(chunk: bytes) -> bytes:
    body = _tokens(chunk)
    if len(body) + 2 <= CHUNK + 2:
        # CompressedChunkHeader: size - 3 (12 bits), signature 0b011, flag 1 (compressed).
        return struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    if len(chunk) == CHUNK:  # incompressible: a raw chunk of exactly 4096 bytes, flag 0
        return struct.pack("<H", 0x3FFF) + chunk
    raise ValueError("an incompressible last chunk cannot be stored without padding")  # never for VBA text


def _tokens(chunk: bytes) -> bytes:
    """TokenSequences (2.4.1.3.8): a flag byte, then 8 tokens, each a literal byte or a 2-byte copy token."""
    out = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions where it starts (latest last)
    pos, n = 0, len(chunk)
    while pos < n:
        flag_at = len(out)
        out.append(0)
        for bit in range(8):
            if pos >= n:
                break
            bit_count = max((pos - 1).bit_length(), 4) if pos > 0 else 4  # 2.4.1.3.19.1 CopyToken Help
            max_length = (0xFFFF >> bit_count) + 3
            best_length, best_offset = 0, 0
            for candidate in reversed(seen.get(chunk[pos : pos + 3], ())[-64:]):
                length = 0
                while pos + length < n and length < max_length and chunk[candidate + length] == chunk[pos + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, pos - candidate
                    if length == max_length:
                        break
            step = best_length if best_length >= 3 else 1
            if step > 1:
                out += struct.pack("<H", ((best_offset - 1) << (16 - bit_count)) | (best_length - 3))
                out[flag_at] |= 1 << bit
            else:
                out.append(chunk[pos])
            for p in range(pos, pos + step):
                seen.setdefault(chunk[p : p + 3], []).append(p)
            pos += step
    return bytes(out)
