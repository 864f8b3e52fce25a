"""Chainsight collector (server part; install with `pip install "chainsight[server]"`)."""
