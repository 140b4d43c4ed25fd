# One image for the worker, the emulator and the CLI (docker-compose.yml picks the command).
# Node 24 (active LTS; Node 20 reached end of life in April 2026), pinned by digest so a rebuild gets the
# same base until someone updates the digest on purpose (docs/operations.md, "Images").
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
# The code stays root-owned (the process cannot rewrite it); only the mount points below are the
# runtime user's. A fresh named volume takes its mount point's owner from the image, so the store
# (/data) and model (/models) volumes come up writable by `node` without a chown at start-up.
RUN mkdir -p /data/store /data/out /data/models /models && chown -R node:node /data /models
# Every folder the process writes is one of those mount points (the model cache included).
ENV THUMBGATE_STORE_DIR=/data/store THUMBGATE_OUT_DIR=/data/out THUMBGATE_MODEL_CACHE=/models
# node itself is the process (no npm/npx in between), so `docker stop`'s SIGTERM reaches it and the
# worker drains in-flight activities; compose's `init: true` puts tini in front to forward signals.
ENV NODE_OPTIONS=--import=tsx
# The image's unprivileged user (uid 1000): the scoring worker decodes untrusted images, and a decoder
# bug should not come with root in the container.
USER node
ENTRYPOINT ["node"]
CMD ["worker/main.ts"]
