"""The `reliance` command line (entry point: `reliance.cli.main:main`)."""
