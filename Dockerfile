# syntax=docker/dockerfile:1
# cromwes, the GA4GH WES 1.1 gateway in front of Cromwell (default target), and its end-to-end
# test runner (target e2e):
#   docker build -t cromwes .
#   docker build --target e2e -t cromwes-e2e .
# Configuration comes only from the environment (WES_*, SERVER_*) or a mounted config.yaml named
# by CROMWES_CONFIG; the image holds none. See "Container image" in README.md.

FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/cromwes
COPY setup.py pyproject.toml README.md ./
COPY cromwes ./cromwes

# Runs tests/e2e against E2E_BASE_URI (and E2E_TOKEN, if the service wants one):
#   docker run --rm -e E2E_BASE_URI=https://wes.example.org cromwes-e2e
# Without E2E_BASE_URI the suite starts the Cromwell emulator and a gateway itself.
FROM base AS e2e
RUN pip install --no-cache-dir "./[test]" \
    && useradd --create-home --uid 10002 e2e
COPY tests ./tests
COPY examples ./examples
USER 10002
CMD ["python", "-m", "pytest", "-p", "no:cacheprovider", "tests/e2e"]

FROM base AS runtime
RUN pip install --no-cache-dir ./ \
    && useradd --system --uid 10001 --home-dir /var/lib/cromwes --create-home cromwes
# Relative paths in the configuration (the default staging path "uploads/") resolve here.
WORKDIR /var/lib/cromwes
USER 10001
EXPOSE 8090
# NO_AUTH binds 127.0.0.1 only, unreachable from outside the container; to serve it on all
# interfaces (behind an mTLS proxy) set SERVER_ADDRESS=0.0.0.0 and SERVER_PUBLIC_NO_AUTH=true.
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s --retries=3 CMD ["cromwes", "probe"]
CMD ["cromwes", "serve"]
