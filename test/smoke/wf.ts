import { proxyActivities } from '@temporalio/workflow';
import type * as acts from './acts.js';
const { hello } = proxyActivities<typeof acts>({ startToCloseTimeout: '10s' });
export async function smoke(name: string): Promise<string> { return hello(name); }
