"""``chainsight demo``: a bundled OpenAI/Anthropic-compatible model server, a support-bot app
instrumented with the SDK, and the command that runs both against a local collector and
dashboard (docs/demo.md). Nothing in the SDK imports this package."""
