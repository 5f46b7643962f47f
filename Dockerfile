# syntax=docker/dockerfile:1

# Build stage: install the bot and its pinned dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# The catalogues are installed inside the bot package.
COPY locales ./locales
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile -c constraints.txt .

# Final stage: the environment alone, run as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    DATABASE_PATH=/data/feedback.sqlite3
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir -m 0700 /data \
    && chown bot /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001
# The database and the pseudonym key live here: keep the volume. Back up the database with
# `python -m bot backup` and the key separately, never together in one copy: the two
# together tell which Telegram account gave which answers.
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
CMD ["python", "-m", "bot"]
