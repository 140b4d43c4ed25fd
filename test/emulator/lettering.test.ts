import { DRAFT_GARBLE_RATE, paintedText, quotedText } from '../../emulator/lettering.js';
import { renderImage } from '../../emulator/render.js';
import { createEmulator } from '../../emulator/server.js';
import { post, schnell } from './helpers.js';

describe('emulator: lettering for quoted prompt text', () => {
  test('quoted text is found in straight and curly quotes; apostrophes stay inside', () => {
    expect(quotedText("reaction face, text 'I FOUND IT'")).toBe('I FOUND IT');
    expect(quotedText('gaming "WORTH IT?" bold')).toBe('WORTH IT?');
    expect(quotedText('cooking “10 MINUTE PASTA” vibrant')).toBe('10 MINUTE PASTA');
    expect(quotedText("the text 'DON'T BUY THIS' big")).toBe("DON'T BUY THIS");
    expect(quotedText("it's a cat")).toBeUndefined();
    expect(quotedText('text ‘DON’T BUY THIS’ in red')).toBe('DON’T BUY THIS');
    expect(quotedText("retro '80s style, text 'RETRO'")).toBe('RETRO');
    expect(quotedText('a 12" pizza, text "YUM"')).toBe('YUM');
  });

  test('drafts are misspelt on a seeded ~40 % share, pro models never; deterministic', () => {
    const prompt = "travel vlog, text 'WE QUIT OUR JOBS'";
    let garbled = 0;
    for (let seed = 0; seed < 400; seed++) {
      const t = paintedText('flux-schnell', prompt, seed);
      expect(t).toBe(paintedText('flux-schnell', prompt, seed));
      if (t !== 'WE QUIT OUR JOBS') {
        garbled++;
        // Every word is misspelt, not just one letter of the whole.
        expect(t?.split(' ').some((w) => ['WE', 'QUIT', 'OUR', 'JOBS'].includes(w))).toBe(false);
      }
      expect(paintedText('flux-1.1-pro', prompt, seed)).toBe('WE QUIT OUR JOBS');
    }
    expect(garbled / 400).toBeGreaterThan(DRAFT_GARBLE_RATE - 0.07);
    expect(garbled / 400).toBeLessThan(DRAFT_GARBLE_RATE + 0.07);
  });

  test('the rendered image and the request log carry the ground truth', async () => {
    const plain = await renderImage({ model: 'flux-schnell', prompt: 'a cat', seed: 1, width: 448, height: 256 });
    expect(plain.renderedText).toBeUndefined();
    const emulator = await createEmulator();
    try {
      const prompt = "tech review, text 'IS IT WORTH IT'";
      const reply = await post(emulator, 'flux-schnell', schnell(3, { prompt }));
      expect(reply.status).toBe(200);
      const [record] = emulator.requests();
      expect(record?.renderedText).toBe(paintedText('flux-schnell', prompt, 3));
    } finally {
      await emulator.close();
    }
  });
});
