"""dashboard.pages package."""
