"""Frames built by hand from the Thrift specifications, as libthrift's Java writers lay them out.

Independent of the Thrift library the portal uses: what ThriftRpcClient (TCompactProtocol or
TBinaryProtocol over TFastFramedTransport, `strictWrite`) puts on the wire for
`appendBatch(list<ThriftFlumeEvent>)` and `append(ThriftFlumeEvent)`, and the replies it reads.
"""

import struct


def frame(payload: bytes) -> bytes:
    return struct.pack("!i", len(payload)) + payload


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n & ~0x7F == 0:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def zigzag32(n: int) -> bytes:
    return varint((n << 1) ^ (n >> 31) & 0xFFFFFFFF)


def _cstr(value: bytes) -> bytes:
    return varint(len(value)) + value


def _compact_event(headers: dict[bytes, bytes], body: bytes) -> bytes:
    # field 1 (delta 1) MAP = 0x1B; field 2 (delta 1) BINARY = 0x18; STOP = 0x00
    out = b"\x1b"
    if headers:
        out += varint(len(headers)) + b"\x88"  # key and value type BINARY (8)
        out += b"".join(_cstr(k) + _cstr(v) for k, v in headers.items())
    else:
        out += b"\x00"  # an empty map is a single zero byte
    return out + b"\x18" + _cstr(body) + b"\x00"


def compact_call(method: bytes, events: list, seqid: int) -> bytes:
    out = b"\x82\x21" + varint(seqid) + _cstr(method)  # protocol id, version 1 | CALL << 5
    if method == b"appendBatch":
        n = len(events)
        out += b"\x19"  # field 1 (delta 1), LIST
        out += bytes([(n << 4) | 0x0C]) if n <= 14 else b"\xfc" + varint(n)  # of STRUCT (12)
        out += b"".join(_compact_event(h, b) for h, b in events)
    else:
        out += b"\x1c" + _compact_event(*events[0])  # field 1 (delta 1), STRUCT
    return frame(out + b"\x00")


def compact_reply(method: bytes, seqid: int, status: int) -> bytes:
    # version 1 | REPLY << 5 = 0x41; field 0 "success" I32 in the long form (type 5, id 0)
    return frame(
        b"\x82\x41" + varint(seqid) + _cstr(method) + b"\x05\x00" + zigzag32(status) + b"\x00"
    )


def _bstr(value: bytes) -> bytes:
    return struct.pack("!i", len(value)) + value


def _binary_event(headers: dict[bytes, bytes], body: bytes) -> bytes:
    out = b"\x0d\x00\x01\x0b\x0b" + struct.pack("!i", len(headers))  # field 1 MAP<STRING,STRING>
    out += b"".join(_bstr(k) + _bstr(v) for k, v in headers.items())
    return out + b"\x0b\x00\x02" + _bstr(body) + b"\x00"  # field 2 STRING (binary); STOP


def binary_call(method: bytes, events: list, seqid: int) -> bytes:
    out = struct.pack("!I", 0x80010001) + _bstr(method) + struct.pack("!i", seqid)
    if method == b"appendBatch":
        out += b"\x0f\x00\x01\x0c" + struct.pack("!i", len(events))  # field 1 LIST<STRUCT>
        out += b"".join(_binary_event(h, b) for h, b in events)
    else:
        out += b"\x0c\x00\x01" + _binary_event(*events[0])  # field 1 STRUCT
    return frame(out + b"\x00")


def binary_reply(method: bytes, seqid: int, status: int) -> bytes:
    out = struct.pack("!I", 0x80010002) + _bstr(method) + struct.pack("!i", seqid)
    return frame(out + b"\x08\x00\x00" + struct.pack("!i", status) + b"\x00")
