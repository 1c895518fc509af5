"""The hub's refusals of operator calls: each carries the gRPC status to answer with."""

from jotunheim.errors import JotunheimError


class StatusError(JotunheimError):
    """A call the hub refuses or ends; `status` is the grpc.StatusCode to answer with."""

    def __init__(self, status, message):
        JotunheimError.__init__(self, message)
        self.status = status
        self.message = message
