// Failures with their message and stack trace moved into an encoded payload, so the payload codec
// (node/payload-codec.ts) encrypts them like any other value. CommonJS because the Temporal SDK
// loads it by path with require() in workers and clients, and its bundler compiles it into the
// workflow sandbox; sandbox-safe (only @temporalio/common).
'use strict';
/* global require, exports -- CommonJS */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with require(), see above
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
