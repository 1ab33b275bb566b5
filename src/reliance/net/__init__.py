"""The network: Noise transport, mDNS discovery, diagnosis, and the node that wires them."""
