import type { Test } from 'uvu';

/**
 * A suite's set-up that cannot fail silently. uvu 0.5 runs `before` hooks inside a try/finally that drops their
 * error: a suite whose set-up throws prints `(0 / N)` without any FAIL line and exits 0 (CI still counts it
 * through Total - Passed, a developer reading the output does not). Here the error is kept and every test of the
 * suite fails with it, so the reason is printed N times instead of never.
 */
export function setupOnce(test: Test, setUp: () => Promise<void> | void): void {
  let failure: { error: unknown } | undefined;
  test.before(async () => {
    try {
      await setUp();
    } catch (error) {
      failure = { error };
    }
  });
  test.before.each(() => {
    if (!failure) return;
    const cause = failure.error instanceof Error ? failure.error : new Error(String(failure.error));
    throw Object.assign(new Error(`the suite's set-up failed: ${cause.message}`), { stack: cause.stack });
  });
}
