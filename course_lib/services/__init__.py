"""The backing services: settings, the database, the cache (embedded defaults or real servers)."""
