# Chainsight: one image for the collector (default command) and the dashboard.
# docker-compose.yml runs both from it; see the README's "Run it with docker compose".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the wheel is built from (.dockerignore keeps the rest out of the context).
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sdk/ sdk/
COPY collector/ collector/
COPY storage/ storage/
COPY dashboard/ dashboard/
COPY demo/ demo/
# The server extra: collector, storage (DuckDB) and dashboard; no test tools.
RUN pip install ".[server]"

# Run as an unprivileged user. /data is created here, owned by that user, so a named volume
# mounted on it starts with the right owner. No VOLUME line: only the collector mounts /data
# (the dashboard reads through the collector's API, never the DuckDB file).
RUN useradd --create-home --uid 10001 chainsight \
    && mkdir /data \
    && chown chainsight:chainsight /data
USER chainsight
WORKDIR /home/chainsight
# `chainsight keys create` run in the container finds the store without --data-dir.
ENV CHAINSIGHT_DATA_DIR=/data

# 4318: collector (OTLP/HTTP + query API); 8501: dashboard.
EXPOSE 4318 8501

# Inside a container the collector must listen on all interfaces; it then refuses to start
# until an API key exists (README: "Run it with docker compose").
CMD ["chainsight", "serve", "--host", "0.0.0.0", "--port", "4318", "--data-dir", "/data"]
