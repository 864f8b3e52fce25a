"""chainsight.collector.alerting package."""
