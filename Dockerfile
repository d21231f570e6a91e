# weir's Kafka example (examples/feedback-scores-kafka.ts) in a container, built from this checkout as users get weir:
# the package `npm pack` makes, installed with its production dependencies. A project of your own gets its own
# Dockerfile from `weir new` (docs/containers.md).
#
#   docker build -t weir-example .
#   docker run --rm -p 8081:8081 -v weir-example-data:/app/data -e KAFKA_BROKERS=kafka:9092 weir-example
#
# Build stage: every dependency; `npm pack` builds dist/ (prepack) and packs what the package ships.
FROM node:20-bookworm-slim AS build
WORKDIR /weir
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir /pack && npm pack --pack-destination /pack && mv /pack/weir-*.tgz /pack/weir.tgz

# Run stage: the packed weir and its production dependencies, as the base image's unprivileged `node` user.
# Checkpoints and savepoints go to /app/data: mount a volume there, or a restart starts from scratch.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /pack/weir.tgz /tmp/weir.tgz
RUN echo '{"name":"weir-example","private":true,"type":"module"}' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tmp/weir.tgz && rm /tmp/weir.tgz && npm cache clean --force \
  && mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8081/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1, with no shell in between, and handles SIGTERM itself: weir stops the job with a savepoint
# into data/checkpoints, and the next start with the same job id restores it. Kafka's brokers come from KAFKA_BROKERS.
ENTRYPOINT ["node", "node_modules/weir/bin/weir.js", "run", "node_modules/weir/examples/feedback-scores-kafka.ts", "--job-id", "feedback-scores-kafka", "--checkpoint-dir", "data/checkpoints", "--http-port", "8081", "--http-host", "0.0.0.0"]
