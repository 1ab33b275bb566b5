"""Linking a device to its person's identity over the LAN with a short code (docs/identity.md, "Linking a
device"): the code words (`codes`), the sans-IO exchange (`protocol`) and its transport (`transport`)."""
