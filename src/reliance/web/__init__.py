"""The web face: the node serves its public commons to any phone on the network, and a paired browser acts
as its person (docs/web.md). It reads and writes through the home's owner (`reliance.localapi`), never
the store itself."""
