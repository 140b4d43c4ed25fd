/** What a call that must fail failed with, checked to be the failure expected: one way for every test. */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

/** What `promise` rejects with, checked to be a `type`; a promise that resolves fails the test. */
export async function rejection<E>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** The ApplicationFailure an activity call fails with; success or any other error fails the test. */
export const applicationFailure = (promise: Promise<unknown>): Promise<ApplicationFailure> =>
  rejection(promise, ApplicationFailure);

/** The ApplicationFailure a workflow failed with (its WorkflowFailedError's cause). */
export async function workflowFailure(run: { result(): Promise<unknown> }): Promise<ApplicationFailure> {
  const failed = await rejection(run.result(), WorkflowFailedError);
  expect(failed.cause).toBeInstanceOf(ApplicationFailure);
  return failed.cause as ApplicationFailure;
}
