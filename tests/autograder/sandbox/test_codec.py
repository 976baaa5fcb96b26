import math

import numpy as np
import pytest
import torch

from autograder.sandbox import codec


@pytest.mark.parametrize("value", [
    None, True, 0, -3, 2**70, 1.5, float("inf"), "héllo", b"\x00\x01", [1, [2, 3]], (1, "a"),
    {"a": 1, 2: (3.0,), (1, 2): None}, np.float32(2.5), np.int64(7),
])
def test_round_trip_plain_values(value):
    out = codec.loads(codec.dumps(value))
    assert out == value and type(out) is type(value) or isinstance(value, np.generic)


def test_nan_round_trips():
    assert math.isnan(codec.loads(codec.dumps(float("nan"))))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool", "complex128", "uint16"])
def test_arrays_keep_dtype_shape_and_values(dtype):
    arr = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    out = codec.loads(codec.dumps(arr[:, ::2]))  # non-contiguous input
    assert out.dtype == arr.dtype and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out, arr[:, ::2])
    out[0, 0, 0] = 1  # decoded arrays are writable copies


def test_tensors_round_trip_as_tensors():
    t = torch.randn(3, 2, requires_grad=True)
    out = codec.loads(codec.dumps(t))
    assert isinstance(out, torch.Tensor) and out.requires_grad
    assert torch.equal(out.detach(), t.detach())


def test_object_arrays_and_arbitrary_objects_are_refused():
    with pytest.raises(codec.CodecError):
        codec.dumps(np.array([object()], dtype=object))
    with pytest.raises(codec.CodecError):
        codec.dumps(lambda: 1)


def test_malformed_frames_raise_codec_error():
    good = codec.dumps({"x": np.ones(3)})
    for bad in (b"", b"\x00" * 3, good[:-5], good[:8] + b"{not json" + good[17:]):
        with pytest.raises(codec.CodecError):
            codec.loads(bad)


def test_object_dtype_in_a_forged_header_is_refused():
    import json
    import struct

    header = json.dumps({"__ndarray__": 0, "dtype": "|O", "shape": [1]}).encode()
    frame = struct.pack(">Q", len(header)) + header + struct.pack(">Q", 1) + struct.pack(">Q", 8) + b"\0" * 8
    with pytest.raises(codec.CodecError, match="dtype"):
        codec.loads(frame)


def test_buffer_size_must_match_shape():
    frame = codec.dumps(np.ones(4))
    forged = frame.replace(b"[4]", b"[5]")
    with pytest.raises(codec.CodecError):
        codec.loads(forged)
