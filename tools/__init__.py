"""Developer tools; not shipped in the ackwb package."""
