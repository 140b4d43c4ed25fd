/** Names of the files in a batch folder, relative to it (what the HTML links to and results.jsonl lists). */
import { isSha256Hex } from '../../shared/blob-ref.js';
import { unsafePath } from './output-paths.js';

export const RESULTS_FILE = 'results.jsonl';
export const LEDGER_FILE = 'ledger.csv';
export const SUMMARY_FILE = 'summary.json';
export const CONTACT_SHEET_HTML = 'contact-sheet.html';
export const CONTACT_SHEET_JPG = 'contact-sheet.jpg';
export const PREVIEW_DIR = 'contact';

/** The winning image of a thumbnail (the id is checked by the caller). */
export function winnerFileName(thumbnailId: string): string {
  return `${thumbnailId}.jpg`;
}

/**
 * Previews are named by the original's content hash: a retried activity finds them already made,
 * and the same bytes always give the same preview.
 */
export function previewFileName(sha256: string): string {
  if (!isSha256Hex(sha256)) throw unsafePath(`not a sha256 image reference: ${JSON.stringify(sha256)}`);
  return `${sha256}.jpg`;
}

export function previewPath(sha256: string): string {
  return `${PREVIEW_DIR}/${previewFileName(sha256)}`;
}
