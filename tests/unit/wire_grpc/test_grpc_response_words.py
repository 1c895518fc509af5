"""grpc._RESPONSE: one bytes constant whose words three readers unpack by position (CPython
only: MicroPython folds an underscored const() away, so the module has no such name there)."""

from jotunheim.wire import grpc


def test_the_response_words_are_where_their_readers_take_them():
    assert grpc._RESPONSE.split() == [
        b":", b"content-type", b"application/grpc", b"grpc-", b":status", b"200",
        b"grpc-status", b"grpc-message", b"grpc-status-details-bin",
    ]  # fmt: skip
