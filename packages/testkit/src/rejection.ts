/** The error `promise` rejects with; a test that expected a failure fails if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure, but the promise resolved");
}
