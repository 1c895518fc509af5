"""H2Connection.lend_data_buffers() (DATA as views, split frames passed on in pieces) against
the default mode on random frame sequences and chunkings: same outcome, same bytes."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jotunheim.wire import h2frames as ev
from jotunheim.wire import h2frames as f
from jotunheim.wire.h2conn import H2Connection, H2ProtocolError
from jotunheim.wire.h2names import event_field as field
from jotunheim.wire.h2rare import event_repr
from jotunheim.wire.hpack import HpackEncoder

HYPO = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESPONSE = HpackEncoder().encode([(b":status", b"200"), (b"content-type", b"application/grpc")])


def _handshaken():
    conn = H2Connection()
    conn.initiate_connection()
    conn.receive_data(f.serialize_frame(f.SETTINGS, 0, 0) + f.serialize_frame(f.SETTINGS, 1, 0))
    for sid in (1, 3):
        conn.send_headers(sid, [(b":method", b"POST"), (b":path", b"/x")], end_stream=sid == 3)
    conn.data_to_send()
    return conn


def _data_frame(sid, body, pad, end):
    flags = f.FLAG_END_STREAM if end else 0
    if pad is not None:
        flags |= f.FLAG_PADDED
        body = bytes([pad]) + body + bytes(pad)
    return f.serialize_frame(f.DATA, flags, sid, body)


frames = st.one_of(
    st.tuples(
        st.just("data"),
        st.sampled_from([1, 3, 5]),
        # sizes drawn directly: st.binary rarely makes bodies long enough to be split
        st.builds(lambda n, b: bytes([b]) * n, st.integers(0, 3000), st.integers(0, 255)),
        st.one_of(st.none(), st.integers(0, 20)),
        st.booleans(),
    ),
    st.tuples(st.just("ping"), st.binary(min_size=8, max_size=8)),
    st.tuples(st.just("raw"), st.integers(0, 9), st.integers(0, 255), st.binary(max_size=20)),
)


def _run(conn, chunks):
    """(error code or None, {sid: bytes}, {sid: flow}, non-DATA event reprs)."""
    data, flow, other = {}, {}, []
    try:
        for chunk in chunks:
            for e in conn.receive_data(chunk):
                if e[0] == ev.DATA_RECEIVED:
                    data[field(e, "stream_id")] = data.get(field(e, "stream_id"), b"") + bytes(
                        field(e, "data")
                    )
                    flow[field(e, "stream_id")] = flow.get(field(e, "stream_id"), 0) + field(
                        e, "flow_controlled_length"
                    )
                    conn.acknowledge_received_data(
                        field(e, "flow_controlled_length"), field(e, "stream_id")
                    )
                else:
                    other.append(event_repr(e))
    except H2ProtocolError as exc:
        return exc.code, None, None, None
    return None, data, flow, other


@HYPO
@given(st.lists(frames, min_size=1, max_size=10), st.integers(1, 1200))
def test_lent_buffers_deliver_the_same_bytes_and_outcome(frame_list, chunk):
    wire = f.serialize_frame(f.HEADERS, f.FLAG_END_HEADERS, 1, RESPONSE)
    for fr in frame_list:
        if fr[0] == "data":
            wire += _data_frame(*fr[1:])
        elif fr[0] == "ping":
            wire += f.serialize_frame(f.PING, 0, 0, fr[1])
        else:
            wire += f.serialize_frame(fr[1], fr[2], 1, fr[3])
    chunks = [wire[i : i + chunk] for i in range(0, len(wire), chunk)]
    plain = _run(_handshaken(), chunks)
    conn = _handshaken()
    conn.lend_data_buffers()
    lent = _run(conn, chunks)
    assert lent == plain
