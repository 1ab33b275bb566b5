"""The replication core, sans-IO: sessions, the rules on changes, quotas, bundles."""
