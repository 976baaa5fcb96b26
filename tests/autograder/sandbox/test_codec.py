import math

import numpy as np
import pytest
import torch

from autograder.sandbox import codec


@pytest.mark.parametrize("value", [
    None, True, 0, -3, 2**64 - 1, -2**63, 1.5, float("inf"), "héllo", b"\x00\x01", [1, [2, 3]], (1, "a"),
    {"a": 1, 2: (3.0,), (1, 2): None}, np.float32(2.5), np.int64(7),
])
def test_round_trip_plain_values(value):
    out = codec.loads(codec.dumps(value))
    assert out == value and type(out) is type(value) or isinstance(value, np.generic)


@pytest.mark.parametrize("value", [2**64, -2**63 - 1, 10**400])
def test_integers_over_64_bits_are_refused_both_ways(value):
    with pytest.raises(codec.CodecError, match="64 bits"):
        codec.dumps([value])
    plain = b'{"__int__": "%d"}' % value  # as a forged reply would hold them
    for header in (plain, b"%d" % value):
        frame = codec._LEN.pack(len(header)) + header + codec._LEN.pack(0)
        with pytest.raises(codec.CodecError):
            codec.loads(frame)


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


# ----- frames a hostile student could write to the reply pipe ---------------------------
# Student code can replace the worker's request handler or write raw bytes to its reply
# pipe, so `loads` must survive any bytes: only CodecError, and bounded memory and time.
import json as _json
import random
import struct
import time
import tracemalloc

MiB = 1 << 20


def forge(header, buffers=(), raw_header=False):
    """A frame with any JSON header (or raw header bytes) and any buffers."""
    head = header if raw_header else _json.dumps(header).encode()
    parts = [struct.pack(">Q", len(head)), head, struct.pack(">Q", len(buffers))]
    for buf in buffers:
        parts += [struct.pack(">Q", len(buf)), buf]
    return b"".join(parts)


def peak_of(fn):
    """(result or the CodecError raised, peak bytes allocated while running fn)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        try:
            out = fn()
        except codec.CodecError as exc:
            out = exc
        return out, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_one_buffer_referenced_many_times_is_refused_not_copied():
    # the attack: one 16 MiB buffer named 40 times took the grader to 1.35 GB
    buf = bytes(16 * MiB)
    frame = forge([{"__ndarray__": 0, "dtype": "|u1", "shape": [16 * MiB]}] * 40, [buf])
    out, peak = peak_of(lambda: codec.loads(frame))
    assert isinstance(out, codec.CodecError) and "twice" in str(out)
    assert peak < 2 * 16 * MiB, f"decoding took {peak / MiB:.0f} MiB for a {len(frame) / MiB:.0f} MiB frame"
    for alias in ({"__bytes__": 0}, {"__npscalar__": {"__ndarray__": 0, "dtype": "|u1", "shape": [1]}}):
        with pytest.raises(codec.CodecError, match="twice"):
            codec.loads(forge([{"__bytes__": 0}, alias], [b"x"]))


def test_a_deep_header_is_refused_before_parsing():
    # the attack: 100,000 nested lists made json.loads raise RecursionError
    for opener, closer in ((b"[", b"]"), (b'{"a":', b"}"), (b'{"__tuple__":[', b"]}")):
        header = opener * 100_000 + b"1" + closer * 100_000
        frame = forge(header, raw_header=True)
        started = time.process_time()  # CPU time: a busy machine does not count
        out, peak = peak_of(lambda: codec.loads(frame))
        assert isinstance(out, codec.CodecError) and "levels deep" in str(out), out
        assert time.process_time() - started < 1.0 and peak < 8 * len(header) + 2 * MiB  # no parse


def test_depth_limit_counts_structure_not_brackets_inside_strings():
    deep_text = "[{" * 5000 + '\\"' + "]" * 7 + '"'  # brackets and quotes inside one string
    value = {"s": deep_text, "t": ("x\\", '"[', "\\\\[", "\\\"{"), "u": [[[[1]]]]}
    assert codec.loads(codec.dumps(value)) == value
    nested = 1.0
    for _ in range(30):  # 30 nested tuples: 60 JSON levels, inside the default 100
        nested = (nested,)
    assert codec.loads(codec.dumps(nested)) == nested
    with pytest.raises(codec.CodecError, match="levels deep"):
        codec.loads(codec.dumps(nested), codec.DEFAULT_LIMITS.allowing(depth=40))


def test_strings_of_any_content_round_trip():
    rng = random.Random(0)
    alphabet = '[]{}",:\\ab\x00\x1b\u202e\udc80é😀'
    for _ in range(300):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        value = [s, {s: (s,)}]
        assert codec.loads(codec.dumps(value)) == value


def test_too_many_values_are_refused_before_parsing():
    header = b"[" + b"[]," * 999_999 + b"[]]"  # 3 MB that json.loads makes 64 MB of lists
    frame = forge(header, raw_header=True)
    out, peak = peak_of(lambda: codec.loads(frame))
    assert isinstance(out, codec.CodecError) and "values" in str(out), out
    assert peak < 8 * len(header)
    big = list(range(codec.DEFAULT_LIMITS.nodes + 1))
    with pytest.raises(codec.CodecError, match="numpy arrays"):
        codec.loads(codec.dumps(big))
    assert codec.loads(codec.dumps(big), codec.DEFAULT_LIMITS.allowing(nodes=10**6)) == big


def test_sizes_are_capped():
    limits = codec.DecodeLimits(frame_bytes=4 * MiB, header_bytes=MiB, string_chars=1000)
    with pytest.raises(codec.CodecError, match="over the limit"):  # the frame
        codec.loads(codec.dumps(np.zeros(MiB)), limits)
    with pytest.raises(codec.CodecError, match="over the limit"):  # the header
        codec.loads(codec.dumps([0.5] * 300_000), limits)
    with pytest.raises(codec.CodecError, match="string of 1001"):
        codec.loads(codec.dumps("x" * 1001), limits)
    stream = __import__("io").BytesIO(struct.pack(">Q", 2**60))  # refused before reading
    with pytest.raises(codec.CodecError, match="exceeds"):
        codec.read_frame(stream)


@pytest.mark.parametrize("header", [
    {"__ndarray__": 0, "dtype": "<f8", "shape": [2**40, 2**40]},   # huge declared shape
    {"__ndarray__": 0, "dtype": "<f8", "shape": [1] * 40},          # too many dimensions
    {"__ndarray__": 0, "dtype": "<f8", "shape": [True]},
    {"__ndarray__": 0, "dtype": "<f8", "shape": ["1"]},
    {"__ndarray__": 0, "dtype": "<f8", "shape": [1.0]},
    {"__ndarray__": 0, "dtype": "<f8", "shape": [-1]},
    {"__ndarray__": 0, "dtype": "<f8", "shape": 1},
    {"__ndarray__": 1, "dtype": "<f8", "shape": [1]},              # no such buffer
    {"__ndarray__": -1, "dtype": "<f8", "shape": [1]},
    {"__ndarray__": "0", "dtype": "<f8", "shape": [1]},
    {"__ndarray__": 0, "dtype": "f8," * 1000, "shape": [1]},       # structured dtype text
    {"__ndarray__": 0, "dtype": "<M8", "shape": [1]},
    {"__ndarray__": 0, "dtype": "<f8", "shape": [1], "more": 1},
    {"__int__": "9" * 100_000},                                    # int() of it is quadratic on old 3.10
    {"__int__": "1" + "0" * 400},                                  # over 64 bits: float() of it raises
    {"__int__": str(2**64)},
    {"__int__": str(-2**63 - 1)},
    {"__int__": "1e5"},
    {"__float__": "1" * 1000},
    {"__tuple__": 5},
    {"__dict__": [[[1], 2]]},                                      # unhashable key
    {"__dict__": [[1, 2, 3]]},
    {"__tensor__": 1, "requires_grad": True},
    {"__npscalar__": {"__ndarray__": 0, "dtype": "<f8", "shape": [1]}, "x": 1},
    {"__unknown__": 1},
    {},
])
def test_forged_values_raise_codec_error(header):
    with pytest.raises(codec.CodecError):
        codec.loads(forge(header, [bytes(8)]))


def test_huge_numbers_and_buffer_counts_are_refused_cheaply():
    started = time.process_time()
    with pytest.raises(codec.CodecError, match="digits"):
        codec.loads(forge(b"[" + b"9" * 1_000_000 + b"]", raw_header=True))
    frame = forge([], [b""] * 1000)
    with pytest.raises(codec.CodecError):  # buffers nobody uses are fine, but not a flood
        codec.loads(frame[:16] + struct.pack(">Q", 2**62) + frame[24:])
    with pytest.raises(codec.CodecError, match="stray"):
        codec.loads(codec.dumps([1]) + b"junk")
    with pytest.raises(codec.CodecError):  # a UTF-16 header cannot sneak past the scan
        codec.loads(forge("[1]".encode("utf-16"), raw_header=True))
    assert time.process_time() - started < 2.0


def test_bool_arrays_hold_only_true_and_false():
    out = codec.loads(forge({"__ndarray__": 0, "dtype": "|b1", "shape": [3]}, [b"\x00\x02\xff"]))
    assert out.dtype == bool and out.tolist() == [False, True, True]
    assert out.view(np.uint8).tolist() == [0, 1, 1]


def test_zero_dimensional_arrays_stay_zero_dimensional():
    out = codec.loads(codec.dumps([np.asarray(2.5), np.float32(1.5)]))
    assert out[0].shape == () and out[0] == 2.5
    assert isinstance(out[1], np.float32) and out[1] == 1.5


def test_mangled_frames_only_ever_raise_codec_error():
    good = codec.dumps({"ok": True, "value": (np.arange(6.0).reshape(2, 3), [1, "a", b"b"],
                                              {"k": np.int64(3)}, float("nan")), "output": "hi"})
    rng = random.Random(1)
    for _ in range(3000):
        bad = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            bad[rng.randrange(len(bad))] = rng.randrange(256)
        if rng.random() < 0.3:
            bad = bad[:rng.randrange(len(bad))]
        try:
            codec.loads(bytes(bad))
        except codec.CodecError:
            pass


def test_scanning_an_honest_header_is_cheap():
    value = [f"word{i}" for i in range(200_000)] + list(np.arange(200_000.0).tolist())
    frame = codec.dumps(value)
    started = time.process_time()  # CPU time: a busy machine does not count
    codec.loads(frame)
    assert time.process_time() - started < 2.0  # 0.2 s here; a quadratic scan takes minutes


# ----- the trusted side's reading of replies ----------------------------------------------
REPLIES = '''
import numpy as np

def an_object():
    return object()

def big(n):
    return np.zeros(n)
'''


def test_an_unreadable_reply_is_the_students_failure(tmp_path):
    from autograder.sandbox import Sandbox, UnreadableReply

    (tmp_path / "replies.py").write_text(REPLIES)
    sb = Sandbox(str(tmp_path), untrusted=False, student_files={"replies.py"})
    try:
        with pytest.raises(UnreadableReply, match=r"^an_object\(\): your function returned something the "
                                                  r"grader cannot read: cannot send a value of type object"):
            sb.call("replies", "an_object")
        small = codec.DecodeLimits(frame_bytes=MiB)
        with pytest.raises(UnreadableReply, match=r"^big\(200000\): your function returned .* over the limit"):
            sb.call("replies", "big", 200_000, reply_limits=small)
        assert sb.call("replies", "big", 200_000).shape == (200_000,)  # the default allows it
        assert sb.call("replies", "big", 10, reply_limits=small).shape == (10,)
    finally:
        sb.close()


def test_the_workers_decoding_interns_every_string():
    """`intern=True` (the worker's requests): strings at any depth, dict keys too, are the
    interned objects, so a student's `transition is "LA"` holds as with the course's literals."""
    import sys

    word = "".join(["L", "A"])  # built at run time: equal to the literal, not the same object
    value = [word, (word, {word: [word]}), {"k": word}]
    frame = codec.dumps(value)
    plain, interned = codec.loads(frame), codec.loads(frame, intern=True)
    assert plain == interned == value
    assert plain[0] is not sys.intern(word)  # the trusted side's decoding leaves them alone
    key = next(iter(interned[1][1]))
    for s in (interned[0], interned[1][0], key, interned[1][1][key][0], interned[2]["k"]):
        assert s is sys.intern("LA")
    with pytest.raises(codec.CodecError, match="string of"):  # the limits still come first
        codec.loads(codec.dumps(["x" * 50]), codec.DecodeLimits(string_chars=10), intern=True)


STRINGS = '''
def is_literal(transitions, by_key):
    return [t is "LA" or t is "RA" or t is "S" for t in transitions] + [k is "LA" for k in by_key]
'''


def test_strings_reach_student_code_as_its_literals(tmp_path):
    from autograder.sandbox import Sandbox

    (tmp_path / "strings.py").write_text(STRINGS)
    sb = Sandbox(str(tmp_path), untrusted=False, student_files={"strings.py"})
    try:
        assert sb.call("strings", "is_literal", ["S", "LA", "RA"], by_key={"LA": 1}) == [True] * 4
    finally:
        sb.close()
