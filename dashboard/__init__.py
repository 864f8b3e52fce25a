"""Chainsight dashboard (server part; install with `pip install "chainsight[server]"`)."""
