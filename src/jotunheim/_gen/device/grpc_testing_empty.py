"""Generated code (do not edit): `make proto` rebuilds it from proto/grpc/testing/empty.proto."""

Empty = ['Empty', '', None, None]
