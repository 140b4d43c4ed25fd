/**
 * The CLIP model's supply chain (activities/scoring/model/integrity.ts): a pinned model is fetched at its
 * fixed commit and each file checked against the sha256 table in code; any other model is trusted on
 * first use and held to its thumbgate-lock.json afterwards. A local HTTP server plays the hub, serving
 * the committed tiny-clip files (real Transformers.js loads, real HTTP, no network).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipModelProvider, clipModelConfigFromEnv, pullClipModel } from '../../activities/scoring/index.js';
import { PINNED_CLIP_MODELS, type ClipModelConfig } from '../../activities/scoring/model/config.js';
import { LOCK_FILE } from '../../activities/scoring/model/integrity.js';
import { projectRoot } from '../../node/paths.js';

const TINY = join(projectRoot, 'models', 'tiny-clip');
const COMMIT = 'c0ffee0000000000000000000000000000000001';
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Every file of the committed tiny model, by its path inside the model folder. */
async function tinyFiles(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(TINY, { recursive: true, withFileTypes: true })) {
    if (!name.isFile()) continue;
    const path = join(name.parentPath, name.name);
    files.set(path.slice(TINY.length + 1), await readFile(path));
  }
  return files;
}

/** A hub: `/<org>/<name>/resolve/<revision>/<file>` answers `files`' bytes, with the commit header the hub sends. */
async function startHub(files: Map<string, Buffer>): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/[^/]+\/[^/]+\/resolve\/[^/]+\/(.+)$/.exec(req.url ?? '');
    const body = m ? files.get(decodeURIComponent(m[1]!)) : undefined;
    if (!body) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'x-repo-commit': COMMIT }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

describe('CLIP model pull: pinned revision, sha256 per file, lock on first use', () => {
  let root: string;
  let files: Map<string, Buffer>;
  let hub: Awaited<ReturnType<typeof startHub>>;
  beforeAll(async () => {
    files = await tinyFiles();
    hub = await startHub(files);
  });
  afterAll(() => new Promise<void>((resolve) => hub.server.close(() => resolve())));
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'thumbgate-pull-'));
    hub.requests.length = 0;
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const config = (modelId: string, overrides: Partial<ClipModelConfig> = {}) =>
    clipModelConfigFromEnv(
      {},
      { modelId, modelDir: join(root, 'models'), cacheDir: join(root, 'cache'), hubUrl: hub.url, ...overrides }
    );

  test('the pinned model is fetched at its commit; a file with another sha256 is deleted and refused', async () => {
    const modelId = 'Xenova/clip-vit-base-patch32';
    const pin = PINNED_CLIP_MODELS[modelId]!;
    const url = `${hub.url}/${modelId}/resolve/${pin.revision}/config.json`;
    const served = sha256(files.get('config.json')!);

    await expect(pullClipModel(config(modelId))).rejects.toThrow(
      `config.json downloaded from ${url} has sha256 ${served}, but the pin in activities/scoring/model/config.ts ` +
        `(revision ${pin.revision}) requires ${pin.sha256['config.json']}`
    );
    await expect(pullClipModel(config(modelId))).rejects.toThrow(
      /the download was deleted\. Check THUMBGATE_MODEL_HUB/
    );
    // Never `main`, and nothing of the bad file is left to be picked up by a later load.
    expect(hub.requests).toEqual([url, url].map((u) => new URL(u).pathname));
    const folder = join(root, 'cache', modelId);
    expect(existsSync(join(folder, 'config.json'))).toBe(false);
    expect(existsSync(join(folder, 'config.json.partial'))).toBe(false);
    expect(existsSync(join(folder, LOCK_FILE))).toBe(false);
  });

  test('another model is trusted on first use: the commit and every sha256 are locked, and later loads and pulls held to them', async () => {
    const modelId = 'acme/tiny-clip';
    const folder = join(root, 'cache', modelId);

    // First pull: `main` resolves to the commit the hub names; the rest of the files come from that commit.
    const model = await pullClipModel(config(modelId));
    expect(model.randomWeights).toBe(true);
    const lock = JSON.parse(await readFile(join(folder, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(lock).toEqual({
      modelId,
      revision: COMMIT,
      requested: 'main',
      sha256: Object.fromEntries([...files].map(([name, data]) => [name, sha256(data)])),
    });
    expect(hub.requests[0]).toMatch(new RegExp(`^/${modelId}/resolve/main/`));
    for (const path of hub.requests.slice(1)) expect(path).toMatch(new RegExp(`^/${modelId}/resolve/${COMMIT}/`));

    // A file changed in the cache is caught when the worker loads the model (no download allowed).
    await appendFile(join(folder, 'tokenizer_config.json'), ' ');
    const offline = config(modelId, { allowRemote: false });
    const refused = new ClipModelProvider(offline).get();
    await expect(refused).rejects.toThrow(
      `tokenizer_config.json in ${folder}/ has sha256 ${sha256(Buffer.concat([files.get('tokenizer_config.json')!, Buffer.from(' ')]))}, ` +
        `but ${join(folder, LOCK_FILE)} requires ${sha256(files.get('tokenizer_config.json')!)}`
    );
    await expect(refused).rejects.toThrow(`Replace that folder: delete it, then npm run models:pull`);

    // A pull repairs it: only that file, from the locked commit.
    hub.requests.length = 0;
    await pullClipModel(config(modelId));
    expect(hub.requests).toEqual([`/${modelId}/resolve/${COMMIT}/tokenizer_config.json`]);
    await expect(new ClipModelProvider(offline).get()).resolves.toMatchObject({ id: modelId });

    // Upstream now serves other bytes for a locked file: the pull refuses them.
    const original = files.get('config.json')!;
    files.set('config.json', Buffer.from(original.toString('utf8').replace('{', '{"tampered": true,')));
    try {
      await rm(join(folder, 'config.json'));
      await expect(pullClipModel(config(modelId))).rejects.toThrow(
        new RegExp(
          `config\\.json downloaded from .*/resolve/${COMMIT}/config\\.json has sha256 \\w+, but ${lockPathPattern(folder)}`
        )
      );
      expect(existsSync(join(folder, 'config.json'))).toBe(false);
    } finally {
      files.set('config.json', original);
    }
  });

  test('a lock for another revision than THUMBGATE_CLIP_REVISION asks for is not used', async () => {
    const modelId = 'acme/tiny-clip';
    await pullClipModel(config(modelId));
    await expect(pullClipModel(config(modelId, { revision: 'v2' }))).rejects.toThrow(
      `records ${modelId} at revision ${COMMIT}, not ${modelId} at v2 (THUMBGATE_CLIP_REVISION): delete ` +
        `${join(root, 'cache', modelId)}/ and pull the model again`
    );
  });

  test('THUMBGATE_MODEL_HUB must be an http(s) URL', () => {
    expect(() => clipModelConfigFromEnv({ THUMBGATE_MODEL_HUB: 'huggingface.co' })).toThrow(
      'THUMBGATE_MODEL_HUB must be the http(s) URL of a Hugging Face hub or mirror (default https://huggingface.co), ' +
        'got "huggingface.co"'
    );
    expect(clipModelConfigFromEnv({ THUMBGATE_MODEL_HUB: 'https://hub.example/' }).hubUrl).toBe('https://hub.example');
  });
});

/** The lock file's path as a regular expression. */
function lockPathPattern(folder: string): string {
  return join(folder, LOCK_FILE).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
