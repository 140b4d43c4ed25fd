import { ClipModelUnavailableError } from '../../activities/scoring/model/errors.js';

const config = (allowRemote: boolean) => ({
  modelId: 'Xenova/clip-vit-base-patch32',
  modelDir: '/models',
  cacheDir: '/cache',
  allowRemote,
  quantized: true,
});
const missing = [{ folder: '/models/Xenova/clip-vit-base-patch32', missing: ['config.json'] }];

describe('a missing model stops the batch; a failed download is retried', () => {
  test('a network failure while downloading is transient', () => {
    expect(new ClipModelUnavailableError(config(true), missing, 'fetch failed').transient).toBe(true);
    expect(new ClipModelUnavailableError(config(true), missing, 'connect ETIMEDOUT 1.2.3.4:443').transient).toBe(true);
  });

  test('no such model, downloads disabled, or files present but broken are not', () => {
    const notThere = 'Could not locate file: "https://huggingface.co/x/resolve/main/config.json".';
    expect(new ClipModelUnavailableError(config(true), missing, notThere).transient).toBe(false);
    expect(new ClipModelUnavailableError(config(false), missing).transient).toBe(false);
    const present = [{ folder: '/models/Xenova/clip-vit-base-patch32', missing: [] }];
    expect(new ClipModelUnavailableError(config(true), present, 'fetch failed').transient).toBe(false);
  });
});
