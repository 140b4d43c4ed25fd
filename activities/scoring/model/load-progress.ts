import type { LoadProgress } from './clip-model.js';

/**
 * Download progress on an interactive terminal (one updating line per file), nothing otherwise:
 * worker logs should not fill with progress bars.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ((p: LoadProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  return (p) => {
    if (p.status === 'progress' && p.file) {
      const mb = (n?: number) => ((n ?? 0) / 1e6).toFixed(1);
      stream.write(`\r  ${p.file}: ${(p.progress ?? 0).toFixed(0)}% (${mb(p.loaded)}/${mb(p.total)} MB)   `);
    } else if (p.status === 'done' && p.file) {
      stream.write(`\r  ${p.file}: done${' '.repeat(30)}\n`);
    }
  };
}
