"""The hostile-peer harness: every frame type of the sync protocol and every message kind of the
transport, sent by a hostile peer in every way a frame can be wrong, against a real node.

- `frames.py` lists, for each frame type in `reliance.replication.protocol.FRAME_TYPES`, its hostile variants
  in each `Category` (wrong types, missing fields, oversize, truncated, random bytes, replays, huge
  counts), most of them derived from a real frame of that type, the rest written by hand.
- `kinds.py` does the same for the transport: the handshake hello and every `KIND_*` frame kind.
- `test_registry.py` fails when a frame type or kind exists without variants in every category: a new
  frame type is added here, with its sample and its own variants, in the same commit.

A variant whose failure belongs to an item of the issue still open names it (`known`); it runs as an
expected failure until the item is fixed.
"""
