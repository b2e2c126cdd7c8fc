"""Builds the raw artefacts of the built-in worlds: one Design per design world (designs/), the
builders that turn a Design into files, and the scenarios that edit them (see
tools/build_demo_world.py)."""
