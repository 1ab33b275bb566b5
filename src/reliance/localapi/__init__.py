"""The local API: one owner per home, and a Unix socket through which the CLI, the app and (later) the web
face talk to it. See docs/local-api.md.

- `ownership`: who owns a home (a `flock` on HOME/owner.lock).
- `protocol`: frames, messages and the table of operations, sans-IO.
- `ops`: the operations (store reads and writes, node requests), also run directly without an owner.
- `server`, `client`, `unix`: the asyncio server, the clients, and the socket itself.
- `owner`: the owner (lock, node, server), for `reliance serve` and the app.
- `remote`: the app's view of another process's node.
"""
