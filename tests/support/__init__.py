"""Helpers shared by test modules: sample data, builders, servers started for a test, and
the steps a test takes (a journey's sign-in, a state handler run as Reflex runs it).

No tests and no fixtures here: fixtures are in the conftest.py nearest to the tests that use
them, and they call into these modules. No test module imports another test module
(tests/unit/test_test_layout.py checks it).
"""
