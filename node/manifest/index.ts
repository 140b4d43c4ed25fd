export { ManifestError, ManifestUnreadableError, type ManifestProblem } from './errors.js';
export { detectFormat, parseManifest } from './parse.js';
export { loadManifest, loadManifestUnderRoot } from './load.js';
export { ManifestSourceError, templateUnderRoot } from './source.js';
