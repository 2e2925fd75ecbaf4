# syntax=docker/dockerfile:1
# The API and the worker: one image, `rongban serve` by default, `rongban worker` / `rongban
# migrate` by command. Build: docker build -t rongban .   (see README, "Running in production")

# Base images pinned to an exact Python and Debian release; bump them together with
# constraints.txt, which pins every Python package the image installs.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/rongban
WORKDIR /src
# Dependencies first (their layer is reused while only our code changes), pinned by
# constraints.txt exactly as `make setup` pins them.
COPY pyproject.toml constraints.txt README.md ./
COPY api ./api
COPY schema ./schema
COPY resolvers ./resolvers
COPY storage ./storage
COPY integrations ./integrations
RUN /opt/rongban/bin/pip install -c constraints.txt . \
    && /opt/rongban/bin/python -m compileall -q /opt/rongban/lib

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/rongban/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RONGBAN_HOST=0.0.0.0 \
    RONGBAN_PORT=8000
# A fixed, unprivileged uid/gid so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 rongban \
    && useradd --system --uid 10001 --gid rongban --home-dir /home/rongban --create-home rongban
COPY --from=build /opt/rongban /opt/rongban
WORKDIR /home/rongban
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["rongban"]
CMD ["serve"]
