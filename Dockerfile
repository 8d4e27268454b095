# wechat-admin image: one image for every process (web, worker, beat, migrate, flower, sandbox); the compose file
# picks the command. Build: docker build -t wechat-admin .   Deployment guide: docs/DEPLOY.md

# Build stage: wheels that need compiling are built here, with the build tools, which stay out of the final image.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

# Final stage: the same base (so the venv's interpreter links stay valid), the venv and the code; no compilers.
FROM python:3.11-slim-bookworm AS final
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INSTANCE_PATH=/data \
    FLASK_APP=app.py
# An unprivileged user; /data is the instance folder (DB for SQLite, media, uploads, WeChat session, secret key).
RUN useradd --create-home --uid 10001 --user-group wechat \
    && mkdir /data \
    && chown wechat:wechat /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code belongs to root and is read-only for the service user: a compromised process cannot rewrite it.
COPY . /app
RUN python -m compileall -q /app
USER wechat
VOLUME ["/data"]
EXPOSE 8100
CMD ["gunicorn", "--config", "python:libs.gunicorn_config", "--worker-class", "gevent", "--workers", "2", \
     "--worker-connections", "2000", "--no-control-socket", "--bind", "0.0.0.0:8100", "--access-logfile", "-", "app:app"]
