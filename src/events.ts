/**
 * A small typed event emitter. The event map is an interface, so a listener's
 * payload type follows from the event name. Emitting sites check
 * {@link Emitter.hasListeners} first, so an event nobody listens to costs one
 * branch and no payload object is built.
 *
 * Listener errors: every listener of an event runs, in subscription order, after
 * the operation's state is already consistent; then the first error thrown by a
 * listener propagates to the caller of the operation. The allocator is never
 * left half-updated by a throwing listener: an operation made of several steps
 * (a layer calling the one below, a realloc that allocates then frees) holds
 * listener errors until its last step is done.
 *
 * @module
 */

import { noteUserCode } from "./internal/user-code.js";

/** A function receiving one event's payload. */
export type Listener<T> = (payload: T) => void;

// Lets the package's own layers report an error of user code they ran on an emitter's behalf (a finalizer, a
// weakref callback), without making `fail` part of the class's public face.
let failOf: <M extends object>(emitter: Emitter<M>, error: unknown) => void;

/** Publishes the events of an event map `M` (name → payload type). */
export class Emitter<M extends object> {
  static {
    failOf = (emitter, error) => emitter.fail(error);
  }

  // One array per event name; `undefined` when nobody listens, so the hot-path check is a single load and compare.
  private readonly listeners: { [K in keyof M]?: Listener<M[K]>[] | undefined } = {};
  // Listeners subscribed to any event: while 0, hasListeners answers from this one field.
  private subscribed = 0;
  // While > 0, listener errors are kept (the first one) instead of thrown.
  private holding = 0;
  private held = false;
  private heldError: unknown;

  /**
   * Subscribes `listener` to `name`.
   * @returns a function that unsubscribes it (calling it twice is harmless)
   */
  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(`listener for ${String(name)} must be a function, got ${typeof listener}`);
    }
    const list = this.listeners[name];
    // Copy on write: an emit in progress keeps iterating the array it started with.
    this.listeners[name] = list === undefined ? [listener] : [...list, listener];
    this.subscribed++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.subscribed--;
      const current = this.listeners[name];
      if (current === undefined) return;
      const i = current.indexOf(listener);
      if (i < 0) return;
      const next = current.filter((_, j) => j !== i);
      this.listeners[name] = next.length === 0 ? undefined : next;
    };
  }

  /** Like {@link Emitter.on}, but the listener is removed after its first call. */
  once<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    const off = this.on(name, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** True when at least one listener is subscribed to `name`. Emitting sites test this before building a payload. */
  hasListeners<K extends keyof M>(name: K): boolean {
    return this.subscribed !== 0 && this.listeners[name] !== undefined;
  }

  /**
   * Calls every listener of `name` with `payload`. All listeners run; the first
   * error one of them throws is rethrown after the last has run.
   */
  emit<K extends keyof M>(name: K, payload: M[K]): void {
    const list = this.listeners[name];
    if (list === undefined) return;
    noteUserCode();
    let failed = false;
    let error: unknown;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (e) {
        if (!failed) {
          failed = true;
          error = e;
        }
      }
    }
    if (failed) this.fail(error);
  }

  /**
   * For layers built on this one: starts holding listener errors (nestable),
   * so that an operation made of several calls here completes before the
   * first error surfaces. Pair with {@link Emitter.releaseListenerErrors}.
   */
  holdListenerErrors(): void {
    this.holding++;
  }

  /**
   * Stops one level of holding; at the outermost level, throws the first
   * held error, unless `discard` (the operation failed with its own error).
   */
  releaseListenerErrors(discard = false): void {
    if (this.holding === 0) throw new RangeError("releaseListenerErrors without a holdListenerErrors to end");
    if (--this.holding > 0 || !this.held) return;
    const e = this.heldError;
    this.held = false;
    this.heldError = undefined;
    if (!discard) throw e;
  }

  /** Throws `error` now, or keeps it (the first only) while errors are held. */
  protected fail(error: unknown): void {
    if (this.holding === 0) throw error;
    if (!this.held) {
      this.held = true;
      this.heldError = error;
    }
  }
}

/**
 * Throws `error` now, or keeps it (the first only) while `emitter` holds its
 * listener errors: for user code a layer runs on the emitter's behalf.
 */
export function reportError<M extends object>(emitter: Emitter<M>, error: unknown): void {
  failOf(emitter, error);
}
