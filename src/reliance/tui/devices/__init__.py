"""Settings → Devices: the list, rename, revoke, invite with a code and a QR code, join."""
