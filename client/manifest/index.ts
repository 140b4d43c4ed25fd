export { ManifestError, formatProblem, type ManifestProblem } from './errors.js';
export { BRIEF_FIELDS, CSV_META_PREFIX } from './fields.js';
export { detectFormat, parseManifest, type ManifestFormat, type ParseManifestOptions } from './parse.js';
export { loadManifest } from './load.js';
