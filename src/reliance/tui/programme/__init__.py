"""Programme screen: the festival's events."""
