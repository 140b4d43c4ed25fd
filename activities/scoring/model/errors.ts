import { join } from 'node:path';
import { CLIP_ENV, TINY_CLIP_MODEL, type ClipModelConfig } from './config.js';

/** Where a model was looked for and what each place lacked. */
export interface ModelSearch {
  folder: string;
  missing: string[];
}

/**
 * The CLIP model could not be loaded. The message names the model, every folder and file looked
 * for, and the ways to provide them, so an operator can fix it without reading code. The loader
 * never falls back to other weights: a worker scoring with the wrong model would be worse than one
 * that stops.
 */
export class ClipModelUnavailableError extends Error {
  override readonly name = 'ClipModelUnavailableError';
  /**
   * The model was being downloaded and the network failed (not "no such model"): another attempt
   * may succeed, so this is retried rather than stopping the batch.
   */
  readonly transient: boolean;
  constructor(
    readonly config: ClipModelConfig,
    readonly searched: ModelSearch[],
    readonly causeMessage?: string
  ) {
    super(describe(config, searched, causeMessage));
    const downloading = config.allowRemote && !searched.some((s) => s.missing.length === 0);
    this.transient = downloading && causeMessage !== undefined && TRANSIENT_NETWORK.test(causeMessage);
  }
}

/** Network failures worth another try; a 404 or "could not locate file" means the model is not there. */
const TRANSIENT_NETWORK =
  /fetch failed|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|socket hang up|network|timed? ?out|\b(500|502|503|504)\b/i;

export function modelFolders(config: ClipModelConfig): string[] {
  return [join(config.cacheDir, config.modelId), join(config.modelDir, config.modelId)];
}

function describe(config: ClipModelConfig, searched: ModelSearch[], cause: string | undefined): string {
  const lines = [`CLIP model ${JSON.stringify(config.modelId)} could not be loaded.`];
  if (cause) lines.push(`  cause: ${cause}`);
  lines.push('  looked in:');
  for (const s of searched) {
    lines.push(
      `    ${s.folder}/ ${s.missing.length === 0 ? '(all files present)' : `missing ${s.missing.join(', ')}`}`
    );
  }
  const present = searched.find((s) => s.missing.length === 0);
  if (present) {
    // Nothing was missing, so the files themselves are at fault: downloading is not the fix.
    lines.push(
      `  the files in ${present.folder}/ are there but could not be used (see the cause): they are damaged or ` +
        'not a Transformers.js CLIP export.',
      `Replace that folder: delete it, then npm run models:pull -- --model ${config.modelId} on a machine with ` +
        'network, or copy a good Transformers.js model folder there.'
    );
    return lines.join('\n');
  }
  lines.push(
    config.allowRemote
      ? '  downloading from the Hugging Face hub was allowed but did not succeed (no network, or no such model).'
      : `  downloading is disabled (${CLIP_ENV.allowRemote}=false).`
  );
  lines.push(
    'Provide the model in one of these ways:',
    `  1. on a machine with network: npm run models:pull -- --model ${config.modelId} (fills ${config.cacheDir});`,
    `  2. copy a Transformers.js model folder to ${join(config.modelDir, config.modelId)}/ ` +
      `(or point ${CLIP_ENV.modelDir} / ${CLIP_ENV.cacheDir} at where it is);`,
    `  3. allow downloads on first use: ${CLIP_ENV.allowRemote}=true (the default).`,
    `For tests and demos only, ${CLIP_ENV.model}=${TINY_CLIP_MODEL} selects the committed random-weight model ` +
      '(its scores are not quality judgements).'
  );
  return lines.join('\n');
}
