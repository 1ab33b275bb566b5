"""Peers screen: discovered, connected, pending and blocked peers."""
