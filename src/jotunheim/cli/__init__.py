"""The `jotunheim` command line."""
