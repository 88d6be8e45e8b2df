# syntax=docker/dockerfile:1
# selfiebot: the web page, the Telegram bot (webhook or polling) and the Discord bot in one
# process. Slim runtime (no compiler, no build tools), non-root, the bundled ONNX models inside.
# The popularity CNN has no licence, so it is NOT in the image: mount best_model.h5 and set
# SELFIEBOT_POPULARITY_MODEL, or let the entrypoint fetch the pinned file on first start into
# the /var/cache/selfiebot volume (see README, "Deployment").

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/selfiebot
# The exact versions CI tested, with their hashes (requirements/run.lock), then the project.
COPY requirements/run.lock /src/requirements/run.lock
RUN /opt/selfiebot/bin/pip install --require-hashes -r /src/requirements/run.lock
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY inference /src/inference
COPY models /src/models
COPY storage /src/storage
RUN /opt/selfiebot/bin/pip install --no-deps /src \
    && find /opt/selfiebot -name '__pycache__' -prune -exec rm -rf {} +

FROM python:3.11-slim
ENV PATH=/opt/selfiebot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SELFIEBOT_DATA_DIR=/var/lib/selfiebot \
    SELFIEBOT_CACHE_DIR=/var/cache/selfiebot \
    SELFIEBOT_WEB_HOST=0.0.0.0 \
    SELFIEBOT_WEB_PORT=8000 \
    SELFIEBOT_TELEGRAM_WEBHOOK_LISTEN=0.0.0.0 \
    SELFIEBOT_TELEGRAM_WEBHOOK_PORT=8443
RUN useradd --system --uid 10001 --home-dir /var/lib/selfiebot --shell /usr/sbin/nologin selfiebot \
    && mkdir -p /var/lib/selfiebot /var/cache/selfiebot \
    && chown selfiebot:selfiebot /var/lib/selfiebot /var/cache/selfiebot
COPY --from=build /opt/selfiebot /opt/selfiebot
COPY deploy/entrypoint.sh /usr/local/bin/selfiebot-entrypoint
USER selfiebot
WORKDIR /var/lib/selfiebot
VOLUME ["/var/lib/selfiebot", "/var/cache/selfiebot"]
EXPOSE 8000 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
ENTRYPOINT ["selfiebot-entrypoint"]
CMD ["selfiebot", "run"]
