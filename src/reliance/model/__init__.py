"""Typed, validated domain objects: pure, no I/O, no automerge."""
