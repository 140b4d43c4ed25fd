/**
 * What an operator sees of a batch in the real Temporal Web UI (the one the pinned dev server serves),
 * read by headless Chromium: a finished batch and one still running, each with its summary, static
 * details and live current details (stage, counts, spend), its thumbnails' summaries on the timeline,
 * and its search attributes — on the workflow page, and as list columns under the README's queries and
 * saved view. The UI shows what the server holds, so expectations come from the server (describe, the
 * workflow's own metadata query) and from the batch's result, plus the literal texts an operator reads.
 *
 * A dev server of its own serves the UI (the suite's is headless), so its lists hold only these batches.
 * `THUMBGATE_SCREENSHOTS=1` also writes the README's pictures to docs/screenshots/ (never in plain runs,
 * which would rewrite committed files).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { WorkflowHandle } from '@temporalio/client';
import { startBatch } from '../client/batch-client.js';
import { projectRoot } from '../node/paths.js';
import { freePort, startDevServer, type DevServer } from '../scripts/temporal-server.js';
import { resolveBatchOptions } from '../shared/batch-options.js';
import { progressQuery, type BatchProgress, type BatchResult } from '../shared/batch-workflow.js';
import { formatUsd, microsToUsd } from '../shared/money.js';
import { spendUsdKey, stageKey, thumbnailCountKey } from '../shared/search-attributes.js';
import { testBriefs } from './helpers/briefs.js';
import { eventually } from './helpers/eventually.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';
import { startPipeline, type Pipeline } from './helpers/pipeline.js';

// Browser-side callbacks run in the page, but the project compiles without the DOM library: the few
// DOM members they use are declared here, for this module only.
interface PageElement {
  readonly innerText: string;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: { readonly body: PageElement; querySelectorAll(selector: string): ArrayLike<PageElement> };

const exec = promisify(execFile);
const SCREENSHOTS = process.env.THUMBGATE_SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(projectRoot, 'docs', 'screenshots');
const NAMESPACE = 'default';
const FINISHED = 'finished-batch';
const RUNNING = 'running-batch';
/** The README's saved view. */
const UNFINISHED_QUERY = 'WorkflowType="batchWorkflow" AND ThumbgateStage!="done"';
const UNFINISHED_VIEW = 'Unfinished batches';
/** In one brief's prompt of the running batch: the emulator never answers its submits. */
const HELD = '(held at the provider)';
const options = resolveBatchOptions({ size: { width: 448, height: 256 }, maxInFlight: 4 });

const briefs = (n: number, held?: number): ThumbnailBrief[] =>
  testBriefs(n, 't', { pad: 2, separator: '', extra: (i) => (i === held ? ` ${HELD}` : '') });

/**
 * Clicks like a person: once the SPA has rendered the element, it is visible and has stopped moving (a
 * drawer slides in), retrying if a re-render replaces it. page.click alone does none of that.
 */
async function click(page: Page, selector: string): Promise<void> {
  await page.locator(selector).click();
}

/** The UI renders slowly on a busy machine: a generous bound, never a timed assertion. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => eventually(what, probe, 90_000);

/** The UI renders markdown: no `**`, and `10/10` typeset with a fraction slash (U+2044). */
function plain(text: string): string {
  return text
    .replace(/\u2044/g, '/')
    .replace(/\s+/g, ' ')
    .trim();
}

function paragraphs(markdown: string): string[] {
  return markdown
    .split(/\n\s*\n/)
    .map((p) => plain(p.replace(/\*\*/g, '')))
    .filter((p) => p !== '');
}

/** The workflow's live current details, asked the way the UI asks (the SDK's built-in metadata query). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** Each child thumbnail's static summary, from the server. */
async function childSummaries(p: Pipeline, batchId: string): Promise<string[]> {
  const summaries: string[] = [];
  for await (const child of p.env.client.workflow.list({ query: `ParentWorkflowId="${batchId}"` })) {
    const summary = await p.env.client.workflow.getHandle(child.workflowId).describe();
    summaries.push((await summary.staticSummary()) ?? '');
  }
  return summaries.sort();
}

/** Finds the browser the way `npm test`'s setup does; no browser fails here with the fix, never skips. */
async function browserPath(): Promise<string> {
  try {
    const { stdout } = await exec(process.execPath, [join(projectRoot, 'scripts', 'setup-browser.mjs'), '--find']);
    return stdout.trim();
  } catch (err) {
    throw new Error(((err as { stderr?: string }).stderr ?? String(err)).trim());
  }
}

describe('the Temporal Web UI shows batches as an operator needs them (real UI, headless Chromium)', () => {
  let server: DevServer;
  let p: Pipeline;
  let browser: Browser;
  let ui: string;
  let finished: { handle: WorkflowHandle; result: BatchResult };
  let running: { handle: WorkflowHandle; progress: BatchProgress };

  beforeAll(async () => {
    const executablePath = await browserPath();
    server = await startDevServer({ port: await freePort(), uiPort: await freePort() });
    ui = server.uiUrl!;
    p = await startPipeline({
      address: server.address,
      emulator: { faults: { script: [{ kind: 'hang', promptIncludes: HELD, times: 1_000 }] } },
      // The held submits hang for the whole test. With the usual 10 s they would time out, and after five
      // attempts the thumbnail would fail and move the batch on while the test looks at it.
      headersTimeoutMs: 10 * 60_000,
    });
    const start = (batchId: string, list: ThumbnailBrief[]) =>
      startBatch({ client: p.env.client, store: p.store, batchId, briefs: list, options, taskQueue: p.taskQueue });

    const done = await start(FINISHED, briefs(10));
    finished = { handle: done.handle, result: await done.handle.result() };

    // The running batch drafts nine of its ten thumbnails; the seventh stays at the provider, so the
    // batch stays in `drafting` with nine drafted and what they cost, for as long as the test looks.
    const started = await start(RUNNING, briefs(10, 6));
    const progress = await waitFor('the running batch to draft all but its held thumbnail', async () => {
      const pr = await started.handle.query(progressQuery);
      return pr.drafted + pr.failed === 9 && pr.inFlight === 1 ? pr : undefined;
    });
    running = { handle: started.handle, progress };
    // The list reads the visibility store, which trails the workflow by a moment.
    await waitFor('both batches to be listed with their final search attributes', async () => {
      const spend = new Map<string, number | undefined>();
      for await (const wf of p.env.client.workflow.list({ query: 'WorkflowType="batchWorkflow"' })) {
        spend.set(wf.workflowId, wf.typedSearchAttributes.get(spendUsdKey));
      }
      return spend.get(FINISHED) === microsToUsd(finished.result.cost.totals.costMicros) &&
        spend.get(RUNNING) === microsToUsd(progress.spendMicros)
        ? true
        : undefined;
    });

    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      // As root (CI, containers) Chromium refuses to start sandboxed; a small /dev/shm crashes tabs.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    if (SCREENSHOTS) await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 170_000);

  afterAll(async () => {
    await running?.handle.terminate('Temporal UI test over').catch(() => undefined);
    await browser?.close();
    // Dropping the held submits first: otherwise the workers' graceful shutdown waits on them.
    await p?.emulator.close();
    await p?.teardown();
    await server?.stop();
  });

  async function openPage(path: string, width = 1440): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(45_000);
    await page.setViewport({ width, height: 900 });
    // The SPA keeps polling a running workflow, so "network idle" may never come: wait for content instead.
    await page.goto(`${ui}${path}`, { waitUntil: 'domcontentloaded' });
    return page;
  }

  /** The page as the viewport shows it; `height` makes room for a long timeline (the SPA scrolls inside). */
  async function shoot(page: Page, name: string, height?: number): Promise<void> {
    if (!SCREENSHOTS) return;
    const viewport = page.viewport()!;
    if (height) await page.setViewport({ ...viewport, height });
    await page.screenshot({ path: join(SCREENSHOT_DIR, name) });
    if (height) await page.setViewport(viewport);
  }

  async function openWorkflow(workflowId: string): Promise<Page> {
    const page = await openPage(`/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`);
    await page.waitForSelector('[data-testid="user-metadata-tab"]');
    return page;
  }

  /** The text of a user-metadata box: each is an iframe rendering the markdown. */
  async function metadataBox(page: Page, box: 'summary' | 'details' | 'current-details'): Promise<string> {
    return waitFor(`the ${box} box`, async () => {
      const frame = await (await page.$(`iframe#user-metadata-${box}`))?.contentFrame();
      const text = plain((await frame?.evaluate(() => document.body.innerText)) ?? '');
      return text === '' ? undefined : text;
    });
  }

  /** Summary, static details and current details as the User Metadata tab shows them. */
  async function userMetadata(page: Page): Promise<{ summary: string; details: string; current: string }> {
    await click(page, '[data-testid="user-metadata-tab"]');
    return {
      summary: await metadataBox(page, 'summary'),
      details: await metadataBox(page, 'details'),
      current: await metadataBox(page, 'current-details'),
    };
  }

  /** The Search Attributes tab's JSON, read back as values. */
  async function searchAttributes(page: Page): Promise<Record<string, unknown>> {
    await click(page, '[data-testid="search-attributes-tab"]');
    const text = await waitFor('the search attributes', async () => {
      const body = await page.evaluate(() => document.body.innerText);
      return body.includes('ThumbgateStage') ? body : undefined;
    });
    const json = /\{[^{}]*"ThumbgateStage"[^{}]*\}/.exec(text.replace(/\[[^\]]*\]/g, '[]'))?.[0];
    if (!json) throw new Error(`no search attribute object on the page:\n${text}`);
    return JSON.parse(json) as Record<string, unknown>;
  }

  /** The timeline's text once it shows `expected` (the child summaries are its row labels). */
  async function timelineText(page: Page, expected: string): Promise<string> {
    await click(page, '[data-testid="timeline-tab"]');
    return waitFor(`the timeline to show "${expected}"`, async () => {
      const body = await page.evaluate(() => document.body.innerText);
      return body.includes(expected) ? body : undefined;
    });
  }

  async function expectBatchPage(
    handle: WorkflowHandle,
    page: Page,
    expected: { stage: string; counts: string; spendMicros: number }
  ): Promise<void> {
    const description = await handle.describe();
    const details = paragraphs((await description.staticDetails()) ?? '');
    const live = paragraphs(await currentDetails(handle));
    expect(details).not.toHaveLength(0);
    expect(live).not.toHaveLength(0);
    const shown = await userMetadata(page);
    expect(shown.summary).toBe(plain((await description.staticSummary()) ?? ''));
    for (const line of details) expect(shown.details).toContain(line);
    // Current details: exactly the workflow's own, and what the operator reads in them.
    for (const line of live) expect(shown.current).toContain(line);
    expect(shown.current).toContain(expected.stage);
    expect(shown.current).toContain(expected.counts);
    expect(shown.current).toContain(formatUsd(expected.spendMicros));
  }

  test('a finished batch: summary, details, current details, child summaries and search attributes', async () => {
    const { result, handle } = finished;
    expect(result.succeeded).toBe(10);
    expect(result.rerolls).toHaveLength(1);
    const page = await openWorkflow(FINISHED);
    await page.waitForFunction(() => document.body.innerText.includes('COMPLETED'));

    const summaries = await childSummaries(p, FINISHED);
    expect(summaries).toHaveLength(11);
    expect(summaries).toContain('t01: 4 drafts on flux-schnell');
    expect(summaries).toContain(`${result.rerolls[0]!.id}: re-roll on flux-1.1-pro`);
    const timeline = await timelineText(page, 't01: 4 drafts on flux-schnell');
    for (const summary of summaries) expect(timeline).toContain(summary);
    await shoot(page, 'batch-finished-timeline.png', 1350);

    await expectBatchPage(handle, page, {
      stage: 'done',
      counts: '10/10 drafted',
      spendMicros: result.cost.totals.costMicros,
    });
    await shoot(page, 'batch-finished.png');

    expect(await searchAttributes(page)).toMatchObject({
      [stageKey.name]: 'done',
      [spendUsdKey.name]: microsToUsd(result.cost.totals.costMicros),
      [thumbnailCountKey.name]: 10,
    });
    await page.close();
  });

  test('a running batch: live stage, counts and spend; its thumbnails, the held one still running', async () => {
    const { progress, handle } = running;
    expect(progress.stage).toBe('drafting');
    const page = await openWorkflow(RUNNING);
    await page.waitForFunction(() => document.body.innerText.includes('RUNNING'));

    const summaries = await childSummaries(p, RUNNING);
    expect(summaries).toHaveLength(10);
    expect(summaries).toContain('t07: 4 drafts on flux-schnell');
    const timeline = await timelineText(page, 't07: 4 drafts on flux-schnell');
    for (const summary of summaries) expect(timeline).toContain(summary);

    await expectBatchPage(handle, page, {
      stage: 'drafting',
      counts: `${progress.drafted}/10 drafted`,
      spendMicros: progress.spendMicros,
    });
    expect(progress.spendMicros).toBeGreaterThan(0);
    await shoot(page, 'batch-running.png');

    expect(await searchAttributes(page)).toMatchObject({
      [stageKey.name]: 'drafting',
      [spendUsdKey.name]: microsToUsd(progress.spendMicros),
      [thumbnailCountKey.name]: 10,
    });

    // Which thumbnail holds the batch up: Relationships lists each child with its status.
    await click(page, '[data-testid="relationships-tab"]');
    const children = await waitFor('the children', async () => {
      const body = plain(await page.evaluate(() => document.body.innerText));
      return body.includes(`${RUNNING}/draft/t07`) ? body : undefined;
    });
    const statusOf = (id: string) =>
      new RegExp(`(RUNNING|COMPLETED|FAILED) thumbnailWorkflow ${RUNNING}/draft/${id}\\b`).exec(children)?.[1];
    expect(statusOf('t07')).toBe('RUNNING');
    for (const id of ['t01', 't06', 't08', 't10']) expect(statusOf(id)).toBe('COMPLETED');
    await page.close();
  });

  test('the list: search-attribute columns from the column chooser, stage queries and a saved view', async () => {
    const list = (query?: string) =>
      `/namespaces/${NAMESPACE}/workflows${query === undefined ? '' : `?query=${encodeURIComponent(query)}`}`;
    const page = await openPage(list('WorkflowType="batchWorkflow"'), 1800);

    // The README's steps: Configure Columns, add the three attributes (the UI keeps them per browser), and
    // drop Run ID so that they are in view next to the stock columns.
    await click(page, '[data-testid="workflows-summary-table-configuration-button"]');
    await click(page, '[data-testid="orderable-list-item-Run ID-remove-button"]');
    for (const key of [stageKey, spendUsdKey, thumbnailCountKey]) {
      await click(page, `[data-testid="orderable-list-item-${key.name}-add-button"]`);
    }
    // End last: the table overflows its frame by a few pixels, and End's cell has room to spare.
    for (let i = 0; i < 3; i++) await click(page, '[data-testid="orderable-list-item-End-move-down-button"]');
    await click(page, '[data-testid="drawer-close-button"]');
    await page.waitForSelector('[data-testid="drawer-close-button"]', { hidden: true });

    /** The table as {column label: cell text} per row, once it lists exactly `ids`. */
    const rows = (ids: string[]) =>
      waitFor(`the list to show ${ids.join(', ')}`, async () => {
        const table = await page.evaluate(() => {
          const labels = Array.from(document.querySelectorAll('thead th')).map((th) => th.innerText.trim());
          return Array.from(
            document.querySelectorAll('tr[data-testid="workflows-summary-configurable-table-row"]')
          ).map((tr) => {
            const cells = Array.from(tr.querySelectorAll('td')).map((td) => td.innerText.trim());
            return Object.fromEntries(labels.map((label, i) => [label, cells[i] ?? '']));
          });
        });
        const shown = table.map((r) => r['Workflow ID']).sort();
        return JSON.stringify(shown) === JSON.stringify([...ids].sort()) && table.every((r) => r[stageKey.name])
          ? new Map(table.map((r) => [r['Workflow ID']!, r]))
          : undefined;
      });

    const all = await rows([FINISHED, RUNNING]);
    expect(all.get(FINISHED)).toMatchObject({
      Status: 'COMPLETED',
      [stageKey.name]: 'done',
      [spendUsdKey.name]: String(microsToUsd(finished.result.cost.totals.costMicros)),
      [thumbnailCountKey.name]: '10',
    });
    expect(all.get(RUNNING)).toMatchObject({
      Status: 'RUNNING',
      [stageKey.name]: 'drafting',
      [spendUsdKey.name]: String(microsToUsd(running.progress.spendMicros)),
      [thumbnailCountKey.name]: '10',
    });
    await shoot(page, 'batch-list.png', 480);

    await page.goto(`${ui}${list('ThumbgateStage="done"')}`, { waitUntil: 'domcontentloaded' });
    await rows([FINISHED]);

    // The README's saved view: the query, saved under a name, and picked again from Saved Views.
    await page.goto(`${ui}${list(UNFINISHED_QUERY)}`, { waitUntil: 'domcontentloaded' });
    await rows([RUNNING]);
    await click(page, '[data-testid="create-view-button"]');
    await page.locator('[data-testid="workflow-save-view-modal-input"]').fill(UNFINISHED_VIEW);
    await click(page, 'dialog[open] [data-testid="confirm-modal-button"]');
    await page.goto(`${ui}${list()}`, { waitUntil: 'domcontentloaded' });
    await click(page, '[data-testid="saved-views-button"]');
    await click(page, '[data-testid="unfinished-batches"]');
    const unfinished = await rows([RUNNING]);
    expect(unfinished.get(RUNNING)).toMatchObject({ [stageKey.name]: 'drafting' });
    expect(new URL(page.url()).searchParams.get('query')).toBe(UNFINISHED_QUERY);
    await page.close();
  });
});
