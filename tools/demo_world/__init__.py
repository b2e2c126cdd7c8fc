"""Builds the raw artefacts of the embedded demo world (see tools/build_demo_world.py)."""
