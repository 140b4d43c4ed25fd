# One image for the worker, the emulator and the CLI (docker-compose.yml picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV THUMBGATE_STORE_DIR=/data/store THUMBGATE_OUT_DIR=/data/out
# node itself is the process (no npm/npx in between), so `docker stop`'s SIGTERM reaches it and the
# worker drains in-flight activities; compose's `init: true` puts tini in front to forward signals.
ENV NODE_OPTIONS=--import=tsx
ENTRYPOINT ["node"]
CMD ["worker/main.ts"]
