"""Social code screen."""
