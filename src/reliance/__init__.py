"""reliance: peer-to-peer, local-first commons."""

__version__ = "0.1.0"
