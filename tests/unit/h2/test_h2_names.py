"""The HTTP/2 modules the device flow loads keep their RFC numbers, and the numbers of the
errors they raise through h2errors.error(), as private const()s (no qstr on the device); on
CPython those are plain globals, so each copy is checked against h2names / h2errors."""

import importlib

import pytest

from jotunheim.wire import h2errors, h2names, h2rare

FLOW_MODULES = ("h2frames", "h2recv", "h2conn", "h2control")


@pytest.mark.parametrize("module", FLOW_MODULES)
def test_private_constants_match_h2names(module):
    mod = importlib.import_module("jotunheim.wire." + module)
    copies = {
        name[1:]: value
        for name, value in vars(mod).items()
        if name.startswith("_") and not name.startswith("__") and name[1:].isupper()
    }
    named = {name: value for name, value in copies.items() if hasattr(h2names, name)}
    assert named, "no private copies of h2names constants found in %s" % module
    for name, value in named.items():
        if isinstance(value, bytes) and value[:1] == b"\n":  # names as one bytes, \n-separated
            value = tuple(value[1:-1].split(b"\n"))
        assert getattr(h2names, name) == value, "%s._%s" % (module, name)
    for name, value in copies.items():
        if name.startswith("E_"):  # an error number: h2errors.error() builds it
            assert getattr(h2errors, name) == value, "%s._%s" % (module, name)
        if name.startswith("RARE_"):  # a rare path's number: h2rare.run() runs it
            assert getattr(h2rare, name) == value, "%s._%s" % (module, name)


def test_every_private_constant_is_named_in_h2names():
    # A new private number must get its public name in h2names (tests and h2errors use it).
    local_only = {"FRAME_HEADER_SIZE", "MAX_CLOSED_STREAMS", "TRANSITIONS", "METHODS"}
    for module in FLOW_MODULES:
        mod = importlib.import_module("jotunheim.wire." + module)
        for name in vars(mod):
            if name.startswith("_") and not name.startswith("__") and name[1:].isupper():
                public = name[1:]
                known = hasattr(h2errors if public.startswith("E_") else h2rare, public)
                assert known or public in local_only or hasattr(h2names, public), "%s.%s" % (
                    module,
                    name,
                )


def test_public_names_still_reachable_through_h2frames():
    from jotunheim.wire import h2frames

    assert h2frames.DATA == 0 and h2frames.NO_ERROR == 0  # falsy values resolve too
    assert h2frames.CONTINUATION == 9 and h2frames.PRIORITY == 2
    assert h2frames.error_name(0xB) == "ENHANCE_YOUR_CALM"
    assert h2frames.FlowControlError.__name__ == "FlowControlError"
    with pytest.raises(AttributeError):
        h2frames.NO_SUCH_NAME  # noqa: B018


def test_error_numbers_name_their_builders():
    for name in dir(h2errors):
        if name.startswith("E_"):
            builder = getattr(h2errors, name[2:].lower() + "_error")
            assert h2errors._BUILDERS[getattr(h2errors, name)] is builder, name
    stream_error = h2errors.error(h2errors.E_WINDOW, 3, 0)
    assert stream_error.stream_id == 3 and "WINDOW_UPDATE of 0" in str(stream_error)


def test_rare_path_numbers_name_their_functions():
    for name in dir(h2rare):
        if name.startswith("RARE_"):
            function = getattr(h2rare, name[5:].lower())
            assert h2rare._PATHS[getattr(h2rare, name)] is function, name
    assert h2rare.run(h2rare.RARE_STRIP_PADDING, b"\x02abcXY") == b"abc"


def test_the_frames_the_connection_sends_carry_24_bit_lengths_and_31_bit_stream_ids():
    # The connection's own frame writer (not h2names' helpers for tests), at the edges of the
    # header's fields. CPython only: a 74 KB payload does not fit the device suite's heap.
    from jotunheim.wire.h2conn import H2Connection

    conn = H2Connection()
    payload = b"x" * 0x12345  # a length over 16 bits
    conn._frame(h2names.DATA, 0x1, 0x7FFFFFFF, payload)
    out = conn.data_to_send()
    assert out[:9] == b"\x01\x23\x45\x00\x01\x7f\xff\xff\xff" and out[9:] == payload


def test_event_kinds_of_channel_io_match_h2names():
    # The channel dispatches events by kind with its own private copies of the numbers.
    from jotunheim.wire import channel_io

    kinds = {n[1:]: v for n, v in vars(channel_io).items() if n[1:] in h2names.__dict__}
    assert len(kinds) >= 9
    for name, value in kinds.items():
        assert getattr(h2names, name) == value, "channel_io._%s" % name


def test_event_fields_are_in_kind_order():
    # EVENT_FIELDS[kind] names each kind: the order of the table is the numbering.
    names = [name for name, _ in h2names.EVENT_FIELDS]
    for i, name in enumerate(names):
        upper = "".join("_" + c if c.isupper() else c.upper() for c in name).lstrip("_")
        assert getattr(h2names, upper) == i, name
