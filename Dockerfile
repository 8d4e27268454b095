# Build stage: compile wheels with the build tools, which stay out of the final image.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

# Final stage: the venv and the code, run as an unprivileged user.
FROM python:3.11-slim
ENV PATH="/opt/venv/bin:$PATH" PYTHONUNBUFFERED=1 INSTANCE_PATH=/data FLASK_APP=app.py
RUN useradd --create-home --uid 10001 wechat && mkdir /data && chown wechat /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=wechat . /app
USER wechat
VOLUME ["/data"]
EXPOSE 8100
CMD ["gunicorn", "--worker-class", "gevent", "--bind", "0.0.0.0:8100", "app:app"]
