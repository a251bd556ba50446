"""The hosts of the two workspaces of tests/conftest.py's World (workspace A is the default)."""

HOST_A, HOST_B = "alpha.example.test", "beta.example.test"
