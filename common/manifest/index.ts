export { ManifestError, ManifestUnreadableError, type ManifestProblem } from './errors.js';
export { detectFormat, parseManifest } from './parse.js';
export { loadManifest } from './load.js';
