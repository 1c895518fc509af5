"""Generated code (do not edit): `make proto` rebuilds it from proto/."""
