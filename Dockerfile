# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DATABASE_PATH=/data/feedback.sqlite3 \
    LOCALES_DIR=/app/locales
RUN useradd --system --uid 10001 --home-dir /app bot && mkdir -p /data && chown bot /data
COPY --from=build /opt/venv /opt/venv
COPY locales /app/locales
WORKDIR /app
USER bot
VOLUME ["/data"]
CMD ["python", "-m", "bot"]
