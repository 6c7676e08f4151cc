# One image for every process of Portail Famille; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
COPY services ./services
COPY gateway ./gateway
COPY deploy ./deploy
COPY bank_stub ./bank_stub
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin portail

# Nothing here needs root: a compromised process gets an unprivileged account.
USER portail
EXPOSE 8000 8001
CMD ["python", "-m", "deploy.migrate"]
