"""Catalogue screen: every item of every peer."""
