# One image for the worker, the emulator and the CLI (docker-compose.yml picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV THUMBGATE_STORE_DIR=/data/store THUMBGATE_OUT_DIR=/data/out
ENTRYPOINT ["npx", "tsx"]
CMD ["worker/main.ts"]
