# Llais: builds from source and serves on port 8080 with the embedded engines (no downloads).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV ONNXRUNTIME_NODE_INSTALL_CUDA=skip
COPY package.json package-lock.json ./
# The typed client is an npm workspace: npm ci needs its package.json to install its dev tools.
COPY clients/js/package.json ./clients/js/package.json
# The install script builds the PocketSphinx addon from native/.
COPY native ./native
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY clients ./clients
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# 0.0.0.0: the container's port is the way in. Without an API key in /data the server refuses to
# start there; create one first: docker run --rm -v llais-data:/data llais node dist/src/cli.js keys create --account me
# (or run it with -e LLAIS_AUTH=open on a trusted network).
ENV NODE_ENV=production LLAIS_HOST=0.0.0.0 LLAIS_PORT=8080 LLAIS_DATA_DIR=/data LLAIS_MODELS_DIR=/app/models
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/pocketsphinx/build/Release/pocketsphinx.node ./native/pocketsphinx/build/Release/pocketsphinx.node
COPY package.json ./
COPY models ./models
COPY public ./public
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/cli.js", "serve"]
