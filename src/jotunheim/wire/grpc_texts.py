"""The texts of the errors the gRPC channel and its calls make themselves, loaded per error by
grpc.failure and dropped again on MicroPython: each long `str` constant is an object on a
device's heap for as long as its module is loaded, and these are needed only when a call or
connection ends abnormally."""

# By number, as the raise sites name them (each with the text in a comment).
TEXTS = (
    "channel not connected",  # 0
    "channel closed",  # 1
    "cancelled by the caller",  # 2
    "server is going away (GOAWAY)",  # 3
    "cannot open a stream: %s",  # 4
    "no HTTP/2 SETTINGS from the server",  # 5
    "call ended without a response message",  # 6
    "cannot encode request: %s",  # 7
    "connection closed after GOAWAY",  # 8
    "deadline exceeded",  # 9
    "more than one response message in a unary call",  # 10
    "send() after done_writing()",  # 11
    "stream ended inside a message",  # 12
    "stream ended without grpc-status",  # 13
    "HTTP/2 protocol error: %s",  # 14
    "cannot send: %s",  # 15
    "channel reader failed: %r",  # 16
    "connection closed by the server",  # 17
    "server sent GOAWAY (%d)",  # 18
)
