"""chainsight.collector.drift package."""
