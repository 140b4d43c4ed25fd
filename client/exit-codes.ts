/** Exit codes of the `thumbgate` CLI, documented in the README for schedulers. */
export const EXIT = {
  ok: 0,
  /** The batch failed, was cancelled or terminated. */
  batchFailed: 1,
  /** Bad arguments, options or manifest: nothing was started. */
  invalidInput: 2,
  /** The Temporal server could not be reached or refused the request. */
  temporalUnreachable: 3,
  /** No batch with that id. */
  notFound: 4,
  /** The batch is still running (from `result`). */
  stillRunning: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one clear line and a specific exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string
  ) {
    super(message);
    this.name = 'CliError';
  }
}
