"""The outside world behind small interfaces: storage, mail."""
