# syntax=docker/dockerfile:1
# One build, four images (docs/RATIONALE.md, "One Dockerfile, one target per role"):
#   docker build --target gatherer   -t plumb/gatherer   .   TCP ingest (7070) + actuator (8081)
#   docker build --target web        -t plumb/web        .   UI, API and actuator (8080)
#   docker build --target agent      -t plumb/agent      .   `plumb run`, the capture library, and
#                                                            the node installer of the Helm DaemonSet
#   docker build --target leaky-demo -t plumb/leaky-demo .   the example leaky program under `plumb run`
# All roles run the same jar (web/target/plumb.jar) and apply db/migrations (inside the jar)
# with Flyway at start.

# --- build: Maven plus the C toolchain (the capture library and the examples are C) ---------
FROM maven:3.9-eclipse-temurin-17 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc make libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pom.xml ./
COPY wire wire
COPY examples examples
COPY agent-client agent-client
COPY gatherer gatherer
COPY db db
COPY web web
# The cache mount keeps ~/.m2 between builds without baking it into a layer. Tests run in CI
# (mvn -B verify), not here: they need embedded PostgreSQL and real processes.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package \
 && mkdir -p /out/bin /out/lib \
 && cp web/target/plumb.jar /out/plumb.jar \
 && cp agent-client/target/classes/dev/plumb/agent/native/libplumb.so /out/lib/libplumb.so \
 && cp examples/target/leaky /out/leaky

# --- runtime: a JRE, the jar and the `plumb` launcher; not root --------------------------------
# Same Ubuntu release as the build image (both are Eclipse Temurin 17), so the C binaries built
# above find the glibc they were linked against. curl is for the compose healthchecks.
FROM eclipse-temurin:17-jre AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --home-dir /opt/plumb plumb
COPY --from=build /out/plumb.jar /opt/plumb/plumb.jar
COPY docker/plumb /opt/plumb/bin/plumb
ENV PATH=/opt/plumb/bin:$PATH
USER 10001
ENTRYPOINT ["plumb"]

FROM runtime AS gatherer
EXPOSE 7070 8081
CMD ["gatherer"]

FROM runtime AS web
EXPOSE 8080
CMD ["web"]

FROM runtime AS agent
COPY --from=build /out/lib/libplumb.so /opt/plumb/lib/libplumb.so
COPY docker/install-agent /opt/plumb/bin/install-agent
CMD ["run", "--help"]

FROM agent AS leaky-demo
COPY --from=build /out/leaky /opt/plumb/leaky
# 50 requests/s leak 200 KiB/s: a clear line in the session view within a minute, for ~30 min.
# Where to send it comes from PLUMB_GATHERER (docker-compose.yml names it on the command line).
CMD ["run", "--service", "leaky-demo", "--", "/opt/plumb/leaky", "--requests", "100000", "--interval-ms", "20"]
