"""Fake protocol peers that tests start on loopback, backed by the demo world."""
