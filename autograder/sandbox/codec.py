"""The only way values cross the sandbox boundary: JSON plus raw numeric buffers.

A message is a frame: an 8-byte big-endian length, a JSON header, then the raw bytes of
every numeric array it mentions, each with its own length prefix. Arrays decode with
`np.frombuffer` under an allow-list of plain numeric dtypes, so nothing the sandbox sends
can make the trusted side execute code (no pickle, no object arrays).

Supported values: None, bool, int (of 64 bits: int64 or uint64), float (NaN and
infinities too), str, bytes, list, tuple, dict (any keys of these types), numpy arrays
and scalars, torch tensors. A wider int is refused both ways: no value of a1-a3 needs one,
and a 400-digit int in a reply would only make the trusted side's float conversions raise.

Decoding trusts nothing in a frame: the student's process can write any bytes as its
reply. What a frame may cost the trusted process is bounded by `DecodeLimits`:
- the frame itself (`frame_bytes`), refused before it is read;
- each buffer is decoded at most once, so arrays and bytes together are at most the
  frame's size (aliasing one buffer 40 times is refused, not copied 40 times);
- the JSON header (`header_bytes`), its values (`nodes`) and nesting (`depth`) are checked
  by a scan of the raw bytes BEFORE it is parsed: no recursion, no parse of a bomb;
- strings (`string_chars`), digits of a number, dimensions of an array are capped.
Peak memory of `loads` is thus at most about 2 x frame_bytes (the frame and its arrays'
copies) + 150 bytes x nodes + 4 x header_bytes; with the defaults about 250 MiB, well
inside Gradescope's 768 MB container, which also holds the grader and both workers.
"""
import json
import math
import re
import struct
import sys
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class DecodeLimits:
    """What one frame may hold. The defaults fit every reply and request of a1-a3 with
    a wide margin (largest measured: 2.4 MB frames, 0.5 MB headers, 70,000 values);
    a call that needs more passes its own (see Sandbox.call's `reply_limits`)."""
    frame_bytes: int = 64 * 1024 * 1024
    header_bytes: int = 8 * 1024 * 1024
    nodes: int = 500_000          # JSON values in the header (numbers, strings, containers)
    depth: int = 100              # nesting of JSON containers (a tuple or dict costs 2-3)
    string_chars: int = 1 << 20   # one string

    def allowing(self, **more):
        return replace(self, **more)


DEFAULT_LIMITS = DecodeLimits()
MAX_FRAME_BYTES = DEFAULT_LIMITS.frame_bytes  # a reply bigger than this is refused, not read
_LEN = struct.Struct(">Q")
# Plain numeric kinds only: b(ool), i(nt), u(int), f(loat), c(omplex).
_ALLOWED_KINDS = set("biufc")
_DTYPE = re.compile(r"[<>|=]?[biufc][0-9]{1,2}\Z")
_MAX_NDIM = 32
_MAX_INT_DIGITS = 20             # 2**64 - 1 has 20
_INT_MIN, _INT_END = -2**63, 2**64  # int64's least to uint64's greatest
_SPECIAL_FLOATS = ("nan", "inf", "-inf")

# For the scan of a raw header (scan_header); the pattern is linear in the header's size.
_LONG_NUMBER = re.compile(rb"(?<![0-9])[0-9]{25}")  # our encoder writes at most 17 digits
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = np.zeros(256, np.int8)
_DEPTH_STEP[list(b"[{")] = 1
_DEPTH_STEP[list(b"]}")] = -1


class CodecError(ValueError):
    """A value that cannot be sent, or a frame that is malformed."""


def _encode(value, buffers):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value < _INT_END:
            raise CodecError(f"cannot send an integer of {len(str(abs(value)))} digits (over 64 bits)")
        return value if abs(value) < 2**53 else {"__int__": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"__float__": repr(float(value))}  # 'nan', 'inf', '-inf' (np.float64 too)
    if isinstance(value, np.generic):
        return {"__npscalar__": _encode(np.asarray(value), buffers)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            raise CodecError(f"cannot send an array of dtype {value.dtype}")
        buffers.append(value.tobytes())  # C order whatever the strides; 0-d stays 0-d
        return {"__ndarray__": len(buffers) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
    if _is_tensor(value):
        t = value.detach().cpu()
        return {"__tensor__": _encode(t.numpy(), buffers), "requires_grad": bool(value.requires_grad)}
    if isinstance(value, bytes):
        buffers.append(value)
        return {"__bytes__": len(buffers) - 1}
    if isinstance(value, list):
        return [_encode(v, buffers) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, buffers) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, buffers), _encode(v, buffers)] for k, v in value.items()]}
    raise CodecError(f"cannot send a value of type {type(value).__name__}")


def _is_tensor(value):
    mod = type(value).__module__
    return mod.startswith("torch") and type(value).__name__ in ("Tensor", "Parameter")


def scan_header(raw, limits=DEFAULT_LIMITS):
    """Check a raw JSON header's size, value count and nesting without parsing it.

    Escaped backslashes, then escaped quotes, are cut out; every quote left opens or
    closes a string, so the parity of the quotes before a byte says whether it is inside
    one. Outside strings lie every bracket, comma and colon of the structure. A few
    passes of numpy and bytes methods: memory a few times the header, no recursion."""
    if len(raw) > limits.header_bytes:
        raise CodecError(f"its description is {len(raw)} bytes, over the limit of {limits.header_bytes}")
    chars = np.frombuffer(raw.replace(b"\\\\", b"").replace(b'\\"', b""), np.uint8)
    in_string = np.cumsum(chars == ord('"'), dtype=np.uint8) & 1  # parity survives the wrap
    bare = chars[in_string == 0].tobytes()
    del chars, in_string
    opens = bare.count(b"[") + bare.count(b"{")
    nodes = opens + bare.count(b",") + bare.count(b":") + 1
    if nodes > limits.nodes:
        raise CodecError(f"it holds about {nodes} values, over the limit of {limits.nodes} "
                         "(return numpy arrays rather than long lists)")
    if opens != bare.count(b"]") + bare.count(b"}"):
        raise CodecError("its brackets do not match")
    if _LONG_NUMBER.search(bare):
        raise CodecError("it holds a number with too many digits")
    steps = _DEPTH_STEP[np.frombuffer(bare.translate(None, _NOT_BRACKETS), np.uint8)]
    depth = np.cumsum(steps, dtype=np.int32)
    if depth.size and int(depth.max()) > limits.depth:
        raise CodecError(f"it is nested more than {limits.depth} levels deep")
    if depth.size and int(depth.min()) < 0:
        raise CodecError("its brackets do not match")


class _Decoder:
    def __init__(self, buffers, limits, intern=False):
        self.buffers, self.limits, self.intern = buffers, limits, intern
        self.used = set()  # each buffer is decoded at most once: no aliasing

    def buffer(self, index):
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise CodecError("it refers to a buffer that is not there")
        if index in self.used:
            raise CodecError(f"it uses buffer {index} twice")
        self.used.add(index)
        return self.buffers[index]

    def array(self, obj):
        if set(obj) != {"__ndarray__", "dtype", "shape"}:
            raise CodecError("malformed array")
        if not isinstance(obj["dtype"], str) or not _DTYPE.match(obj["dtype"]):
            raise CodecError(f"refused array of dtype {str(obj['dtype'])[:40]!r}")
        dtype = np.dtype(obj["dtype"])
        if dtype.kind not in _ALLOWED_KINDS:
            raise CodecError(f"refused array of dtype {dtype}")
        shape = obj["shape"]
        if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
                or any(type(n) is not int or n < 0 for n in shape)):
            raise CodecError("malformed array shape")
        raw = self.buffer(obj["__ndarray__"])
        count = math.prod(shape)
        if count * dtype.itemsize != len(raw):
            raise CodecError(f"an array of shape {tuple(shape)} does not match its {len(raw)} bytes")
        if dtype.kind == "b":  # any byte but 0 is True: no bool holding 2 or 255
            return np.frombuffer(raw, np.uint8, count).reshape(shape) != 0
        return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape).copy()

    def decode(self, obj, depth=0):
        if depth > self.limits.depth:
            raise CodecError("value nested too deeply")
        if obj is None or isinstance(obj, (bool, float)):
            return obj
        if isinstance(obj, int):
            return _int(obj)
        if isinstance(obj, str):
            if len(obj) > self.limits.string_chars:
                raise CodecError(f"it holds a string of {len(obj)} characters, over the limit "
                                 f"of {self.limits.string_chars}")
            return sys.intern(obj) if self.intern else obj
        if isinstance(obj, list):
            return [self.decode(v, depth + 1) for v in obj]
        if not isinstance(obj, dict) or len(obj) == 0:
            raise CodecError("malformed value")
        if "__ndarray__" in obj:
            return self.array(obj)
        if len(obj) == 2 and "__tensor__" in obj:
            import torch  # only when a tensor actually crosses

            inner = obj["__tensor__"]
            if not isinstance(inner, dict) or "__ndarray__" not in inner:
                raise CodecError("malformed tensor")
            t = torch.from_numpy(self.array(inner))
            return t.requires_grad_(True) if obj.get("requires_grad") is True and t.is_floating_point() else t
        if len(obj) != 1:
            raise CodecError("malformed value")
        (tag, inner), = obj.items()
        if tag == "__npscalar__":
            if not isinstance(inner, dict) or "__ndarray__" not in inner:
                raise CodecError("malformed numpy scalar")
            arr = self.array(inner)
            if arr.size != 1:
                raise CodecError("malformed numpy scalar")
            return arr.reshape(())[()]
        if tag == "__bytes__":
            return bytes(self.buffer(inner))
        if tag == "__tuple__" and isinstance(inner, list):
            return tuple(self.decode(v, depth + 1) for v in inner)
        if tag == "__dict__" and isinstance(inner, list):
            out = {}
            for pair in inner:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise CodecError("malformed dict")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise CodecError("unhashable dict key") from None
            return out
        if tag == "__float__" and inner in _SPECIAL_FLOATS:
            return float(inner)
        if tag == "__int__" and isinstance(inner, str) and 0 < len(inner) <= _MAX_INT_DIGITS + 1 \
                and re.fullmatch(r"-?[0-9]+", inner):
            return _int(int(inner))
        raise CodecError("malformed value")


def _int(value):
    if not _INT_MIN <= value < _INT_END:
        raise CodecError(f"it holds an integer of {len(str(abs(value)))} digits, over 64 bits")
    return value


def dumps(message):
    """Encode a message (any supported value) into one frame of bytes."""
    buffers = []
    header = json.dumps(_encode(message, buffers), allow_nan=False).encode()
    parts = [_LEN.pack(len(header)), header, _LEN.pack(len(buffers))]
    for buf in buffers:
        parts.append(_LEN.pack(len(buf)))
        parts.append(buf)
    return b"".join(parts)


def _split(view, limits):
    """(raw header, [buffer views]) of a frame; no copy of the buffers."""
    if len(view) < 16:
        raise CodecError("truncated frame")
    (hlen,) = _LEN.unpack_from(view, 0)
    if hlen > len(view) - 16:
        raise CodecError("truncated frame")
    raw = bytes(view[8:8 + hlen])
    pos = 8 + hlen
    (nbuf,) = _LEN.unpack_from(view, pos)
    pos += 8
    if nbuf > min(limits.nodes, (len(view) - pos) // 8):
        raise CodecError(f"it declares {nbuf} buffers")
    buffers = []
    for _ in range(nbuf):
        if pos + 8 > len(view):
            raise CodecError("truncated frame")
        (blen,) = _LEN.unpack_from(view, pos)
        pos += 8
        if blen > len(view) - pos:
            raise CodecError("truncated frame")
        buffers.append(view[pos:pos + blen])
        pos += blen
    if pos != len(view):
        raise CodecError(f"{len(view) - pos} stray bytes after its last buffer")
    return raw, buffers


def loads(frame, limits=DEFAULT_LIMITS, intern=False):
    """Decode bytes produced by `dumps` (bytes, bytearray or memoryview). Raises
    CodecError on anything malformed or over `limits`, whatever the bytes are.

    `intern`: every str of the value (dict keys and strings nested in containers too) is
    `sys.intern`ed, as the worker decodes requests: a string a student's function receives
    is then the very object of an equal literal in its code, as the 2021 course's own
    checks passed them, so 2021's `transition is "S"` works. Never on the trusted side,
    where interning would only let the student's replies grow the interpreter's table."""
    view = memoryview(frame).cast("B")
    if len(view) > limits.frame_bytes:
        raise CodecError(f"it is {len(view)} bytes, over the limit of {limits.frame_bytes}")
    try:
        raw, buffers = _split(view, limits)
        scan_header(raw, limits)
        header = json.loads(raw.decode("utf-8"))  # strict UTF-8: no UTF-16 header past the scan
        return _Decoder(buffers, limits, intern).decode(header)
    except CodecError:
        raise
    except Exception as exc:  # anything else a forged frame provokes is still its fault
        raise CodecError(f"malformed frame ({type(exc).__name__}: {str(exc)[:200]})") from None


def write_frame(fileobj, message):
    data = dumps(message)
    fileobj.write(_LEN.pack(len(data)) + data)
    fileobj.flush()


def read_exact(fileobj, n):
    chunks, got = [], 0
    while got < n:
        chunk = fileobj.read(n - got)
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fileobj, limits=DEFAULT_LIMITS, intern=False):
    (n,) = _LEN.unpack(read_exact(fileobj, 8))
    if n > limits.frame_bytes:
        raise CodecError(f"message of {n} bytes exceeds the {limits.frame_bytes}-byte limit")
    return loads(read_exact(fileobj, n), limits, intern)
