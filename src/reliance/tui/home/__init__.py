"""Home screen: who I am, the network, and what arrived."""
