"""collector.routes package."""
