/**
 * The v2 jobs and their timeline on the clock: QUEUED until `startAt`, PROCESSING until `doneAt`
 * and the render is done, then COMPLETED or FAILED; a finished job's result is kept `resultTtlMs`
 * (0 with the `expired` fault), then deleted. Nothing here runs on a timer: every read brings a job
 * up to date with `now()`, so a test steps through the timeline by moving its clock.
 */
import { MEDIA_FAULTS, type FaultKind } from './faults.js';
import type { EmulatedModel, ProviderOutputFormat } from './models.js';
import type { RenderedImage } from './render.js';

export type V2Status = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

/** A v2 job: accepted (and billed), rendered in the background, polled by time on the clock. */
export interface Job {
  id: string;
  apiKey: string;
  model: EmulatedModel;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  gpuSeconds: number;
  costMicros: number;
  format: ProviderOutputFormat;
  acceptedAt: number;
  /** QUEUED until then. */
  startAt: number;
  /** PROCESSING until then (and until the render is done). */
  doneAt: number;
  fault?: FaultKind;
  /** A media fault still to be applied to the next download. */
  mediaFault?: FaultKind;
  image?: RenderedImage;
  renderError?: string;
  /** Clock time the job reached its final state (set once). */
  finishedAt?: number;
  expired: boolean;
}

export type NewJob = Omit<
  Job,
  'startAt' | 'doneAt' | 'mediaFault' | 'image' | 'renderError' | 'finishedAt' | 'expired'
> & {
  /** How long it stays QUEUED. */
  queueMs: number;
  /** How long it stays PROCESSING after that (at least until rendered). */
  processingMs: number;
};

/** How a finished job is settled in billing. */
export type JobEnd = 'ok' | 'failed';

function failed(job: Job): boolean {
  return job.fault === 'job-failed' || job.renderError !== undefined;
}

export class JobTable {
  private jobs = new Map<string, Job>();

  constructor(
    private readonly now: () => number,
    private readonly resultTtlMs: number,
    /** Called once per job, at the first look after it finished. */
    private readonly onFinished: (id: string, end: JobEnd) => void
  ) {}

  add(input: NewJob): Job {
    const { queueMs, processingMs, ...fields } = input;
    const kind = fields.fault;
    const job: Job = {
      ...fields,
      startAt: fields.acceptedAt + queueMs,
      doneAt: fields.acceptedAt + queueMs + processingMs,
      ...(kind && MEDIA_FAULTS.has(kind) ? { mediaFault: kind } : {}),
      expired: false,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  rendered(job: Job, image: RenderedImage): void {
    job.image = image;
    this.refresh(job);
  }

  renderFailed(job: Job, message: string): void {
    job.renderError = message;
    this.refresh(job);
  }

  /** Brings a job up to date with the clock: finished? expired? Settles it once. */
  refresh(job: Job): void {
    const t = this.now();
    if (job.finishedAt === undefined && t >= job.doneAt && (job.image || job.renderError !== undefined)) {
      job.finishedAt = t;
      this.onFinished(job.id, failed(job) ? 'failed' : 'ok');
    }
    if (!job.expired && job.finishedAt !== undefined) {
      const ttl = job.fault === 'expired' ? 0 : this.resultTtlMs;
      if (t >= job.finishedAt + ttl) {
        job.expired = true;
        job.image = undefined; // results are deleted, bytes and all
      }
    }
  }

  /** The job's state now (an expired job still reports its final state; check `expired`). */
  status(job: Job): V2Status {
    this.refresh(job);
    if (this.now() < job.startAt) return 'QUEUED';
    if (job.finishedAt === undefined) return 'PROCESSING';
    return failed(job) ? 'FAILED' : 'COMPLETED';
  }

  /** What the status endpoint would say: undefined for an unknown or expired job. */
  visibleStatus(id: string): V2Status | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    const status = this.status(job);
    return job.expired ? undefined : status;
  }

  /** The media fault for this download, if one is pending: a CDN hiccup, so the next one is clean. */
  takeMediaFault(job: Job): FaultKind | undefined {
    const fault = job.mediaFault;
    job.mediaFault = undefined;
    return fault;
  }

  /** Brings every job up to date (billing settles finished ones even if nobody polled). */
  sweep(): void {
    for (const job of this.jobs.values()) this.refresh(job);
  }

  clear(): void {
    this.jobs = new Map();
  }
}
