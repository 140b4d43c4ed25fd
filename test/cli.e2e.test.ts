import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';
import { thumbgate } from './helpers/cli-process.js';
import { eventually } from './helpers/eventually.js';

describe('thumbgate CLI: validation and exit codes (no server needed)', () => {
  test('a bad manifest is rejected with line and field, exit 2, before anything connects', async () => {
    const r = await thumbgate(['start', '--manifest', 'examples/invalid-manifest.csv'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid-manifest\.csv line 3, field "prompt": empty prompt/);
    expect(r.stderr).toMatch(/line 5, field "id": duplicate id/);
    expect(r.stderr).not.toMatch(/cannot reach Temporal/);
  });

  test('bad options name the flag; unknown commands and flags are usage errors', async () => {
    const bad = await thumbgate(['start', '--manifest', 'examples/demo-manifest.jsonl', '--reroll-fraction', '1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--reroll-fraction: rerollFraction must be a number from 0 to 1/);
    expect((await thumbgate(['frobnicate'])).code).toBe(2);
    const flag = await thumbgate(['start', '--manifest', 'x.csv', '--colour', 'red']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/usage: thumbgate start/);
  });

  test('an unreachable Temporal server is exit 3, also in --json', async () => {
    const r = await thumbgate(['start', '--manifest', 'examples/demo-manifest.jsonl', '--json'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      exitCode: 3,
      error: expect.stringMatching(/cannot reach Temporal at 127.0.0.1:1/),
    });
  });

  test('a bad --batch-id is exit 2 before anything connects', async () => {
    const r = await thumbgate(['start', '--manifest', 'examples/demo-manifest.jsonl', '--batch-id', '../escape'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch-id "\.\.\/escape" is not valid/);
    expect(r.stderr).not.toMatch(/cannot reach Temporal/);
  });

  test('estimate reproduces the seed: 9,000 a month is $450 on flux-1.1-pro and $72 on flux-schnell', async () => {
    const r = await thumbgate(['estimate', '--per-month', '9000', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      models: { model: string; monthlyUsd: number }[];
      gate: { perThumbnailUsd: number };
    };
    expect(json.models.find((m) => m.model === 'flux-1.1-pro')?.monthlyUsd).toBe(450);
    expect(json.models.find((m) => m.model === 'flux-schnell')?.monthlyUsd).toBe(72);
    expect(json.gate.perThumbnailUsd).toBeCloseTo(0.037, 6);
    const text = await thumbgate(['estimate']);
    expect(text.stdout).toMatch(/\$450\.00/);
  });
});

describe('thumbgate CLI against a running pipeline', () => {
  let p: Pipeline;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    p = await startPipeline();
    env = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      THUMBGATE_TASK_QUEUE: p.taskQueue,
      THUMBGATE_STORE_DIR: p.store.root,
    };
  });
  afterAll(() => p?.teardown());

  test('start --wait, a second start, status, cost, result and list', async () => {
    const manifest = join(p.outDir, '..', 'cli-manifest.jsonl');
    const lines = [0, 1, 2].map((i) =>
      JSON.stringify({ id: `cli-${i}`, prompt: `a travel vlogger at a waterfall, take ${i}`, size: '448x256' })
    );
    await writeFile(manifest, lines.join('\n') + '\n');
    const batchId = `cli-${Date.now()}`;

    const started = await thumbgate(['start', '--manifest', manifest, '--batch-id', batchId, '--wait', '--json'], env);
    expect(started.code).toBe(0);
    const result = JSON.parse(started.stdout) as {
      succeeded: number;
      ui: string;
      cost: { totals: { costMicros: number } };
    };
    expect(result.succeeded).toBe(3);
    expect(result.ui).toContain(`/workflows/${batchId}`);
    expect(result.cost.totals.costMicros).toBe(p.emulator.totalBilledMicros());

    const again = await thumbgate(['start', '--manifest', manifest, '--batch-id', batchId, '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'finished', status: 'COMPLETED' });
    expect(p.emulator.totalBilledMicros()).toBe(result.cost.totals.costMicros); // nothing paid twice

    // The same id with another manifest is refused instead of silently reporting the first batch.
    const other = join(p.outDir, '..', 'cli-other-manifest.jsonl');
    await writeFile(other, JSON.stringify({ id: 'other-0', prompt: 'a different brief', size: '448x256' }) + '\n');
    const clash = await thumbgate(['start', '--manifest', other, '--batch-id', batchId, '--json'], env);
    expect(clash.code).toBe(2);
    expect(JSON.parse(clash.stdout)).toMatchObject({
      exitCode: 2,
      error: expect.stringMatching(
        new RegExp(`batch id ${batchId} already names a batch started from another manifest`)
      ),
    });
    // Other options on the same manifest are a different batch too.
    const otherOptions = await thumbgate(
      ['start', '--manifest', manifest, '--batch-id', batchId, '--candidates', '2'],
      env
    );
    expect(otherOptions.code).toBe(2);
    expect(p.emulator.totalBilledMicros()).toBe(result.cost.totals.costMicros);

    const status = await thumbgate(['status', batchId], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/completed/);
    const cost = await thumbgate(['cost', batchId], env);
    expect(cost.stdout).toMatch(/cost per usable thumbnail/);
    expect(cost.stdout).toMatch(/everything on flux-1\.1-pro/);
    const res = await thumbgate(['result', batchId, '--json'], env);
    expect(JSON.parse(res.stdout)).toMatchObject({ batchId, succeeded: 3 });
    // Why a thumbnail's winner won, read back from its workflows: every candidate with its components.
    const explained = await thumbgate(['result', batchId, '--thumbnail', 'cli-1', '--json'], env);
    expect(explained.code).toBe(0);
    const [x] = JSON.parse(explained.stdout) as {
      winner: { phase: string; candidateIndex: number; score: number };
      why: string;
      candidates: {
        winner: boolean;
        phase: string;
        score: number;
        candidateIndex: number;
        points: Record<string, number>;
      }[];
    }[];
    const winners = x!.candidates.filter((c) => c.winner);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.score).toBe(Math.max(...x!.candidates.map((c) => c.score)));
    // Seeds follow the batch id, so whether cli-1 is the re-rolled bottom tenth varies from run to run.
    const won = winners[0]!;
    expect(x!.winner).toMatchObject({ phase: won.phase, candidateIndex: won.candidateIndex });
    const label = `${won.phase === 'draft' ? 'draft' : 're-roll'} #${won.candidateIndex}`;
    expect(x!.why).toMatch(
      new RegExp(`^(re-rolled(, the draft stands)?: )?${label} (beat|tied with) (draft|re-roll) #\\d`)
    );
    for (const c of x!.candidates) {
      expect(Object.values(c.points).reduce((a, b) => a + b, 0)).toBeCloseTo(c.score, 9);
    }
    const explainedText = await thumbgate(['result', batchId, '--thumbnail', 'cli-1'], env);
    expect(explainedText.stdout).toMatch(/^why: (re-rolled(, the draft stands)?: )?(draft|re-roll) #\d/m);
    expect(explainedText.stdout).toMatch(/candidate +score +aesthetic +rating +alignment +technical/);
    const unknown = await thumbgate(['result', batchId, '--thumbnail', 'no-such-id'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/has no thumbnail "no-such-id"/);
    const list = await thumbgate(['list', '--json'], env);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    const batches = JSON.parse(list.stdout) as { batchId: string; stage?: string }[];
    expect(batches.find((b) => b.batchId === batchId)).toMatchObject({ stage: 'done' });
    expect((await thumbgate(['status', 'no-such-batch'], env)).code).toBe(4);
    // A server that refuses the request (here: an unknown namespace) is exit 3, not a failed batch.
    const refused = await thumbgate(['status', batchId], { ...env, TEMPORAL_NAMESPACE: 'no-such-namespace' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/TEMPORAL_NAMESPACE/);
    const refusedList = await thumbgate(['list'], { ...env, TEMPORAL_NAMESPACE: 'no-such-namespace' });
    expect(refusedList.code).toBe(3);
  });

  test('cancel stops a running batch; status and result then report it with exit 1', async () => {
    p.emulator.faults.configure({ script: [{ kind: 'hang', promptIncludes: 'cancel me', times: 100 }] });
    const manifest = join(p.outDir, '..', 'cancel-manifest.jsonl');
    await writeFile(
      manifest,
      JSON.stringify({ id: 'slow-1', prompt: 'cancel me: a slow render', size: '448x256' }) + '\n'
    );
    const batchId = `cli-cancel-${Date.now()}`;
    expect((await thumbgate(['start', '--manifest', manifest, '--batch-id', batchId], env)).code).toBe(0);
    await eventually(
      'the four hanging drafts to reach the emulator',
      () => p.emulator.requests().filter((r) => r.prompt?.includes('cancel me')).length >= 4
    );
    const cancelled = await thumbgate(['cancel', batchId, '--json'], env);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ batchId, cancelled: true });
    const result = await thumbgate(['result', batchId, '--wait'], env);
    expect(result.code).toBe(1);
    const status = await thumbgate(['status', batchId, '--json'], env);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'CANCELLED' });

    // The ledger of a closed batch is still readable (queried, replayed by the running worker).
    const cost = await thumbgate(['cost', batchId, '--json'], env);
    expect(cost.code).toBe(1);
    const ledger = JSON.parse(cost.stdout) as { batchId: string; totals: { costMicros: number } };
    expect(ledger.batchId).toBe(batchId);
    expect(typeof ledger.totals.costMicros).toBe('number');
    const text = await thumbgate(['cost', batchId], env);
    expect(text.stdout).toMatch(new RegExp(`batch ${batchId} \\(cancelled\\)`));
    expect(text.stdout).toMatch(/cost per usable thumbnail/);
  });

  test('status with no worker polling: the published stage and spend, and which queue lacks a worker', async () => {
    const queue = `no-worker-${Date.now()}`;
    const manifest = join(p.outDir, '..', 'no-worker-manifest.jsonl');
    await writeFile(manifest, JSON.stringify({ id: 'idle-1', prompt: 'nobody runs this', size: '448x256' }) + '\n');
    const batchId = `cli-no-worker-${Date.now()}`;
    const queued = { ...env, THUMBGATE_TASK_QUEUE: queue };
    expect((await thumbgate(['start', '--manifest', manifest, '--batch-id', batchId], queued)).code).toBe(0);
    try {
      const text = await thumbgate(['status', batchId], env); // the queue comes from the batch, not the env
      expect(text.code).toBe(0); // running, as documented: exit 0 with or without a worker
      expect(text.stderr).not.toMatch(/could not be reached/);
      expect(text.stdout).toMatch(new RegExp(`batch ${batchId}: running`));
      expect(text.stdout).toMatch(/stage drafting, spend \$0\.0000, 1 thumbnails \(last published by the workflow/);
      expect(text.stdout).toMatch(new RegExp(`no worker is polling task queue ${queue} \\(the batch itself\\)`));
      expect(text.stdout).toMatch(new RegExp(`THUMBGATE_TASK_QUEUE=${queue}`));
      const json = await thumbgate(['status', batchId, '--json'], env);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        status: 'RUNNING',
        taskQueue: queue,
        stage: 'drafting',
        spendUsd: 0,
        workerPolling: false,
        idleQueues: expect.arrayContaining([{ taskQueue: queue, serves: 'workflows' }]),
      });
    } finally {
      await p.env.client.workflow.getHandle(batchId).terminate('test cleanup');
    }
  });
});
