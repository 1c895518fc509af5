"""A scripted HTTP/2 server built on the `h2` library, for responses a real gRPC server
never sends (plain HTTP errors, trailers-only statuses, resets, GOAWAY)."""

import asyncio
import base64

import h2.config
import h2.connection
import h2.events

DETAILS = b"\x08\x05\x12\x03why"


def _respond(conn, sid, path):
    kind = path.rsplit("/", 1)[-1]
    if kind.startswith("http"):
        conn.send_headers(sid, [(":status", kind[4:])], end_stream=True)
    elif kind == "html":
        conn.send_headers(sid, [(":status", "200"), ("content-type", "text/html")], end_stream=True)
    elif kind == "trailers_only":
        conn.send_headers(
            sid,
            [
                (":status", "200"),
                ("content-type", "application/grpc"),
                ("grpc-status", "5"),
                ("grpc-message", "not%20found%20%E2%98%BA"),
                ("grpc-status-details-bin", base64.b64encode(DETAILS).decode().rstrip("=")),
            ],
            end_stream=True,
        )
    elif kind == "refused":
        conn.reset_stream(sid, error_code=7)
    elif kind == "no_trailers":
        conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
        conn.send_data(sid, b"\x00\x00\x00\x00\x00", end_stream=True)
    elif kind == "goaway":
        conn.close_connection(error_code=0, last_stream_id=0)
    elif kind == "truncated":
        conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
        conn.send_data(sid, b"\x00\x00\x00\x00\x09abc")
        conn.send_headers(sid, [("grpc-status", "0")], end_stream=True)


async def _handle(reader, writer):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    writer.write(conn.data_to_send())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            for e in conn.receive_data(data):
                if isinstance(e, h2.events.RequestReceived):
                    path = dict(e.headers)[b":path"].decode()
                    _respond(conn, e.stream_id, path)
                elif isinstance(e, h2.events.DataReceived):
                    conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            writer.write(conn.data_to_send())
            await writer.drain()
    except (OSError, h2.exceptions.H2Error):
        pass
    finally:
        writer.close()


async def start_fake_server():
    """Starts on 127.0.0.1:<free port> in the running loop; returns (server, port)."""
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
