"""Automerge: the binding's wrapper and readers of its formats. Imports no reliance layer."""
