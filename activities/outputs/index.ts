/**
 * The output writer: at the end of a batch, turns the stored per-thumbnail results and the batch's
 * re-roll decisions (listed, or derived from the stored re-roll results) into `outRoot/<batchId>/` — the
 * winning images, results.jsonl, ledger.csv, summary.json and a contact sheet (HTML + JPEG). See
 * docs/outputs.md.
 *
 * Every file is written whole under a temporary name and renamed, and nothing depends on the clock,
 * so a retried activity rewrites the same folder with the same bytes.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import type { BatchCost, RerollDecision } from '../../shared/batch-workflow.js';
import type { BlobRef } from '../../shared/blob-ref.js';
import { formatUsd } from '../../shared/money.js';
import type { ThumbnailWorkflowResult } from '../../shared/thumbnail-workflow.js';
import { isSameCandidate } from '../../shared/decision/winner.js';
import { resultKey, resultsNamespace } from '../batch-records.js';
import { BlobNotFoundError, type BlobStore } from '../../node/blob-store.js';
import { AtomicTextFile, removeStaleTempFiles, writeFileAtomic } from '../../node/atomic-file.js';
import { readStoredManifest } from '../../node/stored-manifest.js';
import { RANDOM_WEIGHTS_HTML_NOTICE, pageHtml, rowHtml } from './contact-sheet-html.js';
import { SHEET_MAX_ROWS, TILE_HEIGHT, TILE_WIDTH, renderContactSheet, type SheetRow } from './contact-sheet-image.js';
import { activityHeartbeat, isCancellation, logWarning, type Heartbeat } from './heartbeat.js';
import { fitWinner, makePreview, makeTile } from './images.js';
import { ledgerCsvHeader, ledgerCsvRow } from './ledger-csv.js';
import {
  CONTACT_SHEET_HTML,
  CONTACT_SHEET_JPG,
  LEDGER_FILE,
  PREVIEW_DIR,
  RESULTS_FILE,
  SUMMARY_FILE,
  previewFileName,
  winnerFileName,
} from './output-names.js';
import { assertRealDirInside, assertSafeId, batchOutputDir, resolveInside } from './output-paths.js';
import { resultsLine } from './results-line.js';
import { countOutcome, emptyCounts, type BatchSummary } from './summary.js';
import { canRenderText } from './text-rendering.js';
import { decideOutcome, type ThumbnailOutcome } from './thumbnail-outcome.js';

export { RANDOM_WEIGHTS_HTML_NOTICE } from './contact-sheet-html.js';
export { SHEET_MAX_ROWS } from './contact-sheet-image.js';
export { LEDGER_CSV_HEADER } from './ledger-csv.js';
export type { ResultsLine } from './results-line.js';
export type { BatchSummary } from './summary.js';

export interface OutputDeps {
  store: BlobStore;
  /** Parent of every batch's output folder. */
  outRoot: string;
  /** Progress reporting; defaults to the activity heartbeat (a no-op outside an activity). */
  heartbeat?: Heartbeat;
}

export interface WriteBatchOutputsInput {
  batchId: string;
  /** JSON lines of the batch's ThumbnailBrief, in batch order. */
  manifest: BlobRef;
  /**
   * The re-roll decisions the workflow kept: a bounded list (it does not carry all of them across
   * continue-as-new). A thumbnail with a stored re-roll result and no entry here gets the decision
   * `decideReroll` gives for its stored results — the workflow's own rule, so listing any subset of the
   * decisions, even none, writes the same folder.
   */
  rerolls: RerollDecision[];
  cost: BatchCost;
  workflowId: string;
  /** Why briefs without a draft result were never started (a budget stop); absent: they did not finish. */
  notStartedReason?: string;
}

export interface WriteBatchOutputsResult {
  /** Absolute path of `outRoot/<batchId>`. */
  outputDir: string;
  /** Thumbnails with a delivered image. */
  winners: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createOutputActivities(deps: OutputDeps) {
  const { store } = deps;
  const heartbeat = deps.heartbeat ?? activityHeartbeat;

  /** An original's bytes, or undefined when the store no longer has it (retrying would not bring it back). */
  async function original(sha256: string): Promise<Buffer | undefined> {
    try {
      return await store.get({ sha256 });
    } catch (err) {
      if (err instanceof BlobNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Previews (HTML), tiles (JPEG sheet, first rows only) and the winner file of one thumbnail. An
   * unreadable or missing winner turns the thumbnail into a failure with that reason.
   */
  async function writeImages(
    outcome: ThumbnailOutcome,
    dirs: { outputDir: string; previewDir: string },
    previews: Map<string, boolean>,
    withTiles: boolean
  ): Promise<SheetRow['tiles']> {
    const tiles = await Promise.all(
      outcome.candidates.map(async (view) => {
        const sha = view.candidate.image.sha256;
        const previewFile = resolveInside(dirs.previewDir, previewFileName(sha));
        const isWinner = isSameCandidate(outcome.winner, view);
        const made = await exists(previewFile);
        const bytes = !made || isWinner || withTiles ? await original(sha) : undefined;
        let preview = made;
        if (!made && bytes) {
          const image = await makePreview(bytes).catch(() => undefined);
          if (image) {
            await writeFileAtomic(previewFile, image);
            preview = true;
          }
        }
        previews.set(sha, preview);
        const pixels =
          withTiles && bytes ? await makeTile(bytes, TILE_WIDTH, TILE_HEIGHT).catch(() => undefined) : undefined;
        return {
          tile: {
            phase: view.phase,
            winner: isWinner,
            ...(view.candidate.score !== undefined ? { score: view.candidate.score } : {}),
            ...(pixels ? { pixels } : {}),
          },
          bytes: isWinner ? bytes : undefined,
        };
      })
    );

    const winnerFile = resolveInside(dirs.outputDir, winnerFileName(outcome.brief.id));
    if (outcome.winner) {
      const bytes = tiles.find((t) => t.tile.winner)?.bytes;
      let image: Buffer | undefined;
      let problem = 'is missing from the store';
      if (bytes) {
        try {
          image = await fitWinner(bytes, outcome.brief.width, outcome.brief.height);
        } catch (err) {
          problem = `could not be decoded (${describe(err)})`;
        }
      }
      if (image) {
        await writeFileAtomic(winnerFile, image);
      } else {
        const w = outcome.winner;
        outcome.reason = `the winning ${w.phase} image (candidate ${w.candidate.candidateIndex}, ${w.candidate.image.sha256}) ${problem}`;
        outcome.status = 'failed';
        delete outcome.winner;
        for (const t of tiles) t.tile.winner = false;
      }
    }
    // A thumbnail without a winner has no file, even if an earlier attempt left one.
    if (!outcome.winner) await rm(winnerFile, { force: true });
    return tiles.map((t) => t.tile);
  }

  /** Writes `outRoot/<batchId>/`; see docs/outputs.md for every file. */
  async function writeBatchOutputs(input: WriteBatchOutputsInput): Promise<WriteBatchOutputsResult> {
    const outputDir = batchOutputDir(deps.outRoot, input.batchId);
    // Ids are checked before anything is written: one bad id refuses the whole folder.
    const briefs = await readStoredManifest(store, input.manifest, (id) => assertSafeId('thumbnail id', id));
    const previewDir = resolveInside(outputDir, PREVIEW_DIR);
    // Every path is checked before the first write.
    for (const brief of briefs) resolveInside(outputDir, winnerFileName(brief.id));

    // Each folder is checked before anything is created inside it, so a symlinked folder gets nothing.
    await mkdir(outputDir, { recursive: true });
    await assertRealDirInside(deps.outRoot, outputDir);
    await mkdir(previewDir, { recursive: true });
    await assertRealDirInside(deps.outRoot, previewDir);
    await Promise.all([removeStaleTempFiles(outputDir), removeStaleTempFiles(previewDir)]);

    const decisions = new Map(input.rerolls.map((d) => [d.id, d]));
    const namespace = resultsNamespace(input.batchId, input.manifest.sha256);
    const counts = emptyCounts();
    const previews = new Map<string, boolean>();
    const htmlRows: string[] = [];
    const sheetRows: SheetRow[] = [];
    let randomWeights = false;
    let ledgerEntries = 0;
    let ledgerCostMicros = 0;

    const results = await AtomicTextFile.open(resolveInside(outputDir, RESULTS_FILE));
    const ledger = await AtomicTextFile.open(resolveInside(outputDir, LEDGER_FILE));
    try {
      await ledger.write(ledgerCsvHeader());
      for (const [i, brief] of briefs.entries()) {
        const [draft, reroll] = await Promise.all([
          store.getRecord<ThumbnailWorkflowResult>(namespace, resultKey(brief.id, 'draft')),
          // Read even without a listed decision: the decision may have to be derived from it, and a stored
          // re-roll was billed and belongs in the ledger.
          store.getRecord<ThumbnailWorkflowResult>(namespace, resultKey(brief.id, 'reroll')),
        ]);
        const outcome = decideOutcome(brief, draft, reroll, decisions.get(brief.id), input.notStartedReason);
        const withTile = i < SHEET_MAX_ROWS;
        const tiles = await writeImages(outcome, { outputDir, previewDir }, previews, withTile);

        countOutcome(counts, outcome);
        randomWeights ||= outcome.randomWeights;
        await results.write(`${JSON.stringify(resultsLine(outcome, previews))}\n`);
        for (const entry of outcome.ledger) {
          await ledger.write(ledgerCsvRow(entry));
          ledgerEntries += 1;
          ledgerCostMicros += entry.costMicros;
        }
        htmlRows.push(rowHtml(outcome, previews));
        if (withTile) {
          sheetRows.push({
            id: brief.id,
            status: outcome.status,
            caption:
              outcome.status === 'ok'
                ? `${formatUsd(outcome.cost.costMicros)} · ${outcome.cost.calls} calls`
                : `failed: ${outcome.reason ?? ''}`,
            tiles,
          });
        }
        heartbeat({ stage: 'thumbnails', done: i + 1, of: briefs.length });
      }
      await results.commit();
      await ledger.commit();
    } catch (err) {
      await Promise.all([results.abort(), ledger.abort()]);
      throw err;
    }

    const t = input.cost.totals;
    // The JPEG is a convenience: a failure to draw it (librsvg, fonts, memory) must not fail a batch whose
    // spending is done. It is logged and noted in summary.json; the HTML sheet lists everything.
    const sheetFile = resolveInside(outputDir, CONTACT_SHEET_JPG);
    let sheetError: string | undefined;
    try {
      const sheet = await renderContactSheet(
        {
          title: `Batch ${input.batchId}: ${counts.thumbnails} thumbnails, spend ${formatUsd(t.costMicros)}`,
          lines: [
            `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.rerolled} re-rolled, ${counts.rerollWins} re-roll wins; ` +
              `${t.calls} billed calls; ${formatUsd(input.cost.costPerUsableMicros)} per usable thumbnail`,
            ...input.cost.counterfactuals.map(
              (c) => `${c.label}: ${formatUsd(c.totalMicros)} (${formatUsd(c.perThumbnailMicros)} per thumbnail)`
            ),
          ],
          ...(randomWeights ? { randomWeightsNotice: RANDOM_WEIGHTS_HTML_NOTICE } : {}),
          ...(sheetRows.length < counts.thumbnails
            ? {
                cappedNotice: `showing the first ${sheetRows.length} of ${counts.thumbnails} thumbnails; ${CONTACT_SHEET_HTML} lists all`,
              }
            : {}),
        },
        sheetRows,
        await canRenderText(),
        (done) => heartbeat({ stage: 'contact-sheet', done, of: sheetRows.length })
      );
      await writeFileAtomic(sheetFile, sheet);
    } catch (err) {
      if (isCancellation(err)) throw err;
      sheetError = `${CONTACT_SHEET_JPG} could not be drawn: ${describe(err)}`;
      logWarning(sheetError, { batchId: input.batchId });
      // No stale sheet from an earlier attempt beside a summary that says there is none.
      await rm(sheetFile, { force: true }).catch(() => undefined);
    }

    const page = {
      batchId: input.batchId,
      workflowId: input.workflowId,
      counts,
      cost: input.cost,
      randomWeights,
      imageRows: sheetError ? 0 : sheetRows.length,
      ...(sheetError ? { imageError: sheetError } : {}),
      ledgerCostMicros,
    };
    await writeFileAtomic(resolveInside(outputDir, CONTACT_SHEET_HTML), pageHtml(page, htmlRows));

    const summary: BatchSummary = {
      batchId: input.batchId,
      workflowId: input.workflowId,
      counts,
      randomWeights,
      cost: input.cost,
      ledger: {
        entries: ledgerEntries,
        costMicros: ledgerCostMicros,
        matchesTotals: ledgerCostMicros === t.costMicros,
      },
      contactSheet: {
        html: CONTACT_SHEET_HTML,
        image: sheetError ? null : CONTACT_SHEET_JPG,
        imageRows: sheetError ? 0 : sheetRows.length,
        ...(sheetError ? { imageError: sheetError } : {}),
      },
    };
    // Written last: its presence means the folder is complete.
    await writeFileAtomic(resolveInside(outputDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    return { outputDir, winners: counts.succeeded };
  }

  return { writeBatchOutputs };
}
