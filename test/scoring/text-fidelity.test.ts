import { SCRIPT_NOT_COVERED, requestedText } from '../../activities/scoring/requested-text.js';
import { textFidelityFor } from '../../activities/scoring/text-check.js';
import { textFidelity, textWords } from '../../activities/scoring/text-fidelity.js';
import { editDistance } from '../../shared/edit-distance.js';

describe('requestedText', () => {
  test('extracts text in straight and curly quotes', () => {
    expect(requestedText("reaction face with text 'I FOUND IT'")).toEqual({ text: 'I FOUND IT', measurable: true });
    expect(requestedText('gaming thumbnail "WORTH IT?" bold')).toEqual({ text: 'WORTH IT?', measurable: true });
    expect(requestedText('cooking “10 MINUTE PASTA” vibrant')?.text).toBe('10 MINUTE PASTA');
    expect(requestedText('‘BIG’ and «NEWS»')?.text).toBe('BIG NEWS');
    expect(requestedText("the text 'DON'T BUY THIS' in red")?.text).toBe("DON'T BUY THIS");
    expect(requestedText('Café review "CRÈME BRÛLÉE $5"')).toEqual({ text: 'CRÈME BRÛLÉE $5', measurable: true });
  });

  test('apostrophes and inch marks are not quotes', () => {
    // Phones curl the apostrophe along with the quotes.
    expect(requestedText('text ‘DON’T BUY THIS’ in red')?.text).toBe('DON’T BUY THIS');
    // A leading or trailing apostrophe neither opens nor closes a quote.
    expect(requestedText("retro '80s style, text 'RETRO'")?.text).toBe('RETRO');
    expect(requestedText("the kids' toys, text 'BIG'")?.text).toBe('BIG');
    expect(requestedText("players' 'GG'")?.text).toBe('GG');
    expect(requestedText("text 'I FOUND IT'.")?.text).toBe('I FOUND IT');
    // A double quote after a digit is an inch mark.
    expect(requestedText('a 12" pizza, text "YUM"')?.text).toBe('YUM');
    expect(requestedText('a 6\'2" man with a sign "HELLO"')?.text).toBe('HELLO');
    expect(requestedText('text "2024" recap')?.text).toBe('2024');
    expect(requestedText('"ONE" \'TWO\' “THREE”')?.text).toBe('ONE TWO THREE');
  });

  test('no quotes, apostrophes only or nothing readable in quotes → undefined', () => {
    expect(requestedText('a cat reviewing headphones')).toBeUndefined();
    expect(requestedText("it's the cat's toy")).toBeUndefined();
    expect(requestedText('a sign that says "!!"')).toBeUndefined();
  });

  test('scripts the English data does not cover are not measurable', () => {
    expect(requestedText("Diwali sale, text 'नमस्ते दुनिया'")).toEqual({
      text: 'नमस्ते दुनिया',
      measurable: false,
      reason: SCRIPT_NOT_COVERED,
    });
    expect(requestedText('"SALE 大特価"')?.measurable).toBe(false);
    expect(requestedText('"ПРИВЕТ"')?.measurable).toBe(false);
  });
});

describe('textFidelity', () => {
  test('normalisation: case, punctuation and accents do not count; apostrophes join', () => {
    expect(textWords("WORTH IT?! — DON'T  stop… Crème")).toEqual(['worth', 'it', 'dont', 'stop', 'creme']);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(textFidelity('WORTH IT?', 'worth it')).toBe(1);
  });

  test('exact, misspelt, missing and extra words', () => {
    expect(textFidelity('I FOUND IT', 'I FOUND IT')).toBe(1);
    // FOUND → FUOND: 2 edits of 5 letters on one word of three.
    expect(textFidelity('I FOUND IT', 'I FUOND IT')).toBeCloseTo(1 - 0.4 / 3);
    expect(textFidelity('I FOUND IT', 'I FOUND')).toBeCloseTo(2 / 3);
    expect(textFidelity('I FOUND IT', '')).toBe(0);
    // Other marks OCR reads around the text are not the requested text's fault.
    expect(textFidelity('WE QUIT OUR JOBS', '| WE QUIT =o) | OUR JOBS e )')).toBe(1);
  });

  test('OCR spacing slips cost only their letters; word order matters', () => {
    expect(textFidelity('WE QUIT', 'WEQUIT')).toBe(1);
    expect(textFidelity('FOUND', 'FO UND')).toBe(1);
    expect(textFidelity('BUY THIS NOW', 'NOW THIS BUY')).toBeCloseTo(1 / 3);
  });

  test('noise earns no partial credit; the result stays in [0, 1]', () => {
    expect(textFidelity('DON’T BUY THIS', 'ee a Se oa ER Ga a')).toBe(0);
    for (const read of ['', 'x', 'I FOUND IT I FOUND IT', 'zzzz qqqq']) {
      const f = textFidelity('I FOUND IT', read);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(1);
    }
    expect(textFidelity('', 'anything')).toBe(1);
  });

  test('textFidelityFor: nothing requested → undefined; Devanagari → not measured, OCR not run', async () => {
    const pool = {
      recognize: (): Promise<string> => Promise.reject(new Error('OCR must not run')),
    };
    await expect(textFidelityFor('a cat', Buffer.alloc(0), pool)).resolves.toBeUndefined();
    await expect(textFidelityFor("text 'नमस्ते'", Buffer.alloc(0), pool)).resolves.toEqual({
      requested: 'नमस्ते',
      measured: false,
      reason: SCRIPT_NOT_COVERED,
    });
    const fake = { recognize: () => Promise.resolve('~ I FOUND\nIT ®') };
    await expect(textFidelityFor("text 'I FOUND IT'", Buffer.alloc(0), fake)).resolves.toEqual({
      requested: 'I FOUND IT',
      measured: true,
      read: '~ I FOUND IT ®',
      fidelity: 1,
    });
  });
});
