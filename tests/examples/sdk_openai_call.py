"""The OpenLLMetry example's call made through the Chainsight SDK instead
(``chainsight.instrument_openai``); run as a script by test_examples.py, so neither
instrumentation's global state leaks into the test process.

usage: sdk_openai_call.py ENDPOINT PROJECT MODEL_SERVER_URL [--stream]
"""

from __future__ import annotations

import sys
from pathlib import Path

import openai

import chainsight

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from openllmetry_openai import chat  # the example's exact request


def main(endpoint: str, project: str, model_server: str, stream: bool) -> int:
    chainsight.init(project=project, endpoint=endpoint, service_name="sdk-example")
    client = openai.OpenAI(base_url=model_server, api_key="demo", max_retries=0)
    print(chat(chainsight.instrument_openai(client), stream))
    delivered = chainsight.flush(timeout=10.0)
    chainsight.shutdown()
    return 0 if delivered else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4], stream="--stream" in sys.argv))
