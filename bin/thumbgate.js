#!/usr/bin/env node
// The `thumbgate` command: runs the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../client/cli.ts');
