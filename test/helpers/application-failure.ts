import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure an activity call fails with; success or any other error fails the test. */
export async function applicationFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
