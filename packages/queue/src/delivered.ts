import type { Completion } from "@switchyard/db";

/**
 * What a handler of a job named in WorkerDefinition.ownsLedger returns once its own statement has
 * completed the delivery (ledger-hot.ts's pieces): the runtime then records nothing more, and
 * settles the event only when the completion says another queue shares it.
 */
export class Delivered<R = unknown> {
  readonly result: R;
  readonly completion: Completion;
  /** The attempt number its start statement recorded. */
  readonly attempt: number;
  constructor(result: R, completion: Completion, attempt: number) {
    this.result = result;
    this.completion = completion;
    this.attempt = attempt;
  }
}

/** Such a handler's answer when its start statement found the delivery completed: skipped. */
export const ALREADY_DELIVERED: unique symbol = Symbol("already delivered");

export const delivered = <R>(result: R, completion: Completion, attempt: number) =>
  new Delivered(result, completion, attempt);
