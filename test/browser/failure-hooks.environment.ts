import NodeEnvironment from 'jest-environment-node';

/** Where a browser spec's `onTestFailed` callbacks wait for their test to fail. */
export const FAILURE_HOOKS = '__eddyFailureHooks';

/**
 * The browser tier's test environment: runs the callbacks a test registered with `onTestFailed`
 * (`./browser.ts`) when that test fails, so that a screenshot shows what the page showed at the
 * failed step.
 */
export default class FailureHooksEnvironment extends NodeEnvironment {
  async handleTestEvent(event: { name: string }): Promise<void> {
    if (event.name === 'test_start') this.global[FAILURE_HOOKS] = [];
    if (event.name === 'test_fn_failure') {
      const hooks = (this.global[FAILURE_HOOKS] ?? []) as (() => Promise<void>)[];
      await Promise.allSettled(hooks.map((hook) => hook()));
    }
  }
}
