"""Flume's Thrift wire format: the published IDL, framed messages, compact and binary protocols.

What Flume's ThriftRpcClient sends (docs/flume-facts.md, "The Thrift sink"): a 4-byte big-endian
length, then one Thrift message in the compact protocol (the default) or the binary protocol;
the reply echoes the call's sequence id. Both protocols are told apart by the message's first
byte (compact 0x82, strict binary 0x80), so one port serves sinks of either setting: a sink set
to the other protocol than the server would otherwise deliver nothing and log only "Socket is
closed by peer".
"""

from __future__ import annotations

import struct
from pathlib import Path

import thriftpy2
from thriftpy2.protocol import TBinaryProtocol, TCompactProtocol
from thriftpy2.thrift import TApplicationException, TMessageType, TProcessor
from thriftpy2.transport import TMemoryBuffer

IDL_PATH = Path(__file__).with_name("idl") / "flume.thrift"
idl = thriftpy2.load(str(IDL_PATH), module_name="flume_thrift")
ThriftFlumeEvent = idl.ThriftFlumeEvent
Status = idl.Status
Service = idl.ThriftSourceProtocol

COMPACT = "compact"
BINARY = "binary"
_PROTOCOLS = {COMPACT: TCompactProtocol, BINARY: TBinaryProtocol}
_FIRST_BYTE = {0x82: COMPACT, 0x80: BINARY}
FRAME_HEADER = struct.Struct("!i")
STATUS_NAMES = {Status.OK: "OK", Status.FAILED: "FAILED", Status.ERROR: "ERROR"}


class MalformedMessage(ValueError):
    """The frame is not a Thrift message this server can read."""


def protocol_of(payload: bytes) -> str:
    protocol = _FIRST_BYTE.get(payload[0]) if payload else None
    if protocol is None:
        raise MalformedMessage(
            f"first byte {payload[:1].hex() or 'none'}: neither the compact (82) nor the strict "
            "binary (80) protocol"
        )
    return protocol


def frame(payload: bytes) -> bytes:
    return FRAME_HEADER.pack(len(payload)) + payload


def _protocol(name: str, buffer: TMemoryBuffer):
    # Not strict about UTF-8: a header with bad bytes arrives as bytes, cleaned by the intake.
    return _PROTOCOLS[name](buffer, decode_response=True)


class Call:
    """One decoded call: `method`, `seqid`, and `reply(status)` to encode the answer."""

    def __init__(self, processor: TProcessor, payload: bytes):
        self.protocol = protocol_of(payload)
        iprot = _protocol(self.protocol, TMemoryBuffer(payload))
        try:
            self.method, self.seqid, self._result, self._invoke = processor.process_in(iprot)
        except Exception as exc:  # the library raises whatever its decoder meets
            raise MalformedMessage(f"undecodable {self.protocol} message: {exc!r}") from None
        self.unknown_method = isinstance(self._result, TApplicationException)

    def invoke(self):
        return self._invoke()

    def reply(self, status: int | None = None) -> bytes:
        """The framed answer: `status` for appendBatch/append, an exception for anything else."""
        buffer = TMemoryBuffer()
        oprot = _protocol(self.protocol, buffer)
        processor = TProcessor(Service, None)
        if self.unknown_method:
            processor.send_exception(oprot, self.method, self._result, self.seqid)
        else:
            self._result.success = status
            processor.send_result(oprot, self.method, self._result, self.seqid)
        return frame(buffer.getvalue())


def decode_call(handler, payload: bytes) -> Call:
    """The call in `payload`; `call.invoke()` runs handler.append / handler.appendBatch."""
    return Call(TProcessor(Service, handler), payload)


# -- the client side (the load generator and the tests speak as Flume's ThriftRpcClient) --------
def encode_call(method: str, events: list, seqid: int, protocol: str = COMPACT) -> bytes:
    """A framed call of `append` (one event) or `appendBatch` (a list of events)."""
    buffer = TMemoryBuffer()
    oprot = _protocol(protocol, buffer)
    oprot.write_message_begin(method, TMessageType.CALL, seqid)
    if method == "appendBatch":
        args = Service.appendBatch_args(events=events)
    else:
        args = Service.append_args(event=events[0] if isinstance(events, list) else events)
    args.write(oprot)
    oprot.write_message_end()
    return frame(buffer.getvalue())


def decode_reply(payload: bytes) -> tuple[int, int | None]:
    """(seqid, status) of a reply; status None for an exception reply."""
    iprot = _protocol(protocol_of(payload), TMemoryBuffer(payload))
    name, kind, seqid = iprot.read_message_begin()
    if kind == TMessageType.EXCEPTION:
        return seqid, None
    result = getattr(Service, f"{name}_result")()
    result.read(iprot)
    return seqid, result.success
