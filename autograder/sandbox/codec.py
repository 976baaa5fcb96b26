"""The only way values cross the sandbox boundary: JSON plus raw numeric buffers.

A message is a frame: an 8-byte big-endian length, a JSON header, then the raw bytes of
every numeric array it mentions, each with its own length prefix. Arrays decode with
`np.frombuffer` under an allow-list of plain numeric dtypes, so nothing the sandbox sends
can make the trusted side execute code (no pickle, no object arrays).

Supported values: None, bool, int, float (NaN and infinities too), str, bytes, list,
tuple, dict (any keys of these types), numpy arrays and scalars, torch tensors.
"""
import json
import math
import struct

import numpy as np

MAX_FRAME_BYTES = 512 * 1024 * 1024  # a reply bigger than this is refused, not read
_LEN = struct.Struct(">Q")
# Plain numeric kinds only: b(ool), i(nt), u(int), f(loat), c(omplex).
_ALLOWED_KINDS = set("biufc")


class CodecError(ValueError):
    """A value that cannot be sent, or a frame that is malformed."""


def _encode(value, buffers):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
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
        arr = np.ascontiguousarray(value)
        buffers.append(arr.tobytes())
        return {"__ndarray__": len(buffers) - 1, "dtype": arr.dtype.str, "shape": list(arr.shape)}
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


def _decode(obj, buffers, depth=0):
    if depth > 200:
        raise CodecError("value nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_decode(v, buffers, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        raise CodecError("malformed value")
    if "__ndarray__" in obj:
        dtype = np.dtype(str(obj["dtype"]))
        if dtype.kind not in _ALLOWED_KINDS:
            raise CodecError(f"refused array of dtype {dtype}")
        shape = tuple(int(n) for n in obj["shape"])
        if any(n < 0 for n in shape):
            raise CodecError("negative array dimension")
        raw = buffers[int(obj["__ndarray__"])]
        count = math.prod(shape)
        if count * dtype.itemsize != len(raw):
            raise CodecError("array buffer does not match its shape")
        return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape).copy()
    if "__tensor__" in obj:
        import torch  # only when a tensor actually crosses

        t = torch.from_numpy(_decode(obj["__tensor__"], buffers, depth + 1))
        return t.requires_grad_(True) if obj.get("requires_grad") and t.is_floating_point() else t
    if "__npscalar__" in obj:
        return _decode(obj["__npscalar__"], buffers, depth + 1)[()]
    if "__bytes__" in obj:
        return bytes(buffers[int(obj["__bytes__"])])
    if "__tuple__" in obj:
        return tuple(_decode(v, buffers, depth + 1) for v in obj["__tuple__"])
    if "__dict__" in obj:
        out = {}
        for k, v in obj["__dict__"]:
            key = _decode(k, buffers, depth + 1)
            if isinstance(key, (list, dict, np.ndarray)):
                raise CodecError("unhashable dict key")
            out[key] = _decode(v, buffers, depth + 1)
        return out
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__int__" in obj:
        return int(obj["__int__"])
    raise CodecError("malformed value")


def dumps(message):
    """Encode a message (any supported value) into one frame of bytes."""
    buffers = []
    header = json.dumps(_encode(message, buffers), allow_nan=False).encode()
    parts = [_LEN.pack(len(header)), header, _LEN.pack(len(buffers))]
    for buf in buffers:
        parts.append(_LEN.pack(len(buf)))
        parts.append(buf)
    return b"".join(parts)


def loads(frame):
    """Decode bytes produced by `dumps`. Raises CodecError on anything malformed."""
    view = memoryview(frame)
    try:
        (hlen,) = _LEN.unpack_from(view, 0)
        pos = 8 + hlen
        header = json.loads(bytes(view[8:pos]))
        (nbuf,) = _LEN.unpack_from(view, pos)
        pos += 8
        buffers = []
        for _ in range(nbuf):
            (blen,) = _LEN.unpack_from(view, pos)
            pos += 8
            if pos + blen > len(view):
                raise CodecError("truncated frame")
            buffers.append(view[pos:pos + blen])
            pos += blen
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise CodecError(f"malformed frame: {exc}") from None
    try:
        return _decode(header, buffers)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CodecError(f"malformed value: {exc}") from None


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


def read_frame(fileobj, limit=MAX_FRAME_BYTES):
    (n,) = _LEN.unpack(read_exact(fileobj, 8))
    if n > limit:
        raise CodecError(f"message of {n} bytes exceeds the {limit}-byte limit")
    return loads(read_exact(fileobj, n))
