"""storage.duckdb package."""
