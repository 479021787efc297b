/**
 * The errors pymem throws. Every one extends {@link PymemError} and its message
 * names the value that was wrong, so a failing call explains itself. A call that
 * throws one of these has changed nothing.
 *
 * Bad arguments (negative, fractional or NaN sizes, unknown names) throw the
 * built-in `RangeError` or `TypeError` instead, as JavaScript APIs do.
 *
 * @module
 */

/** Base class of every error pymem defines. */
export class PymemError extends Error {
  /** `"PymemError"`, so stack traces and `console.error` name the class. */
  override name = "PymemError";
}

/** The allocator could not grow its buffer far enough: `maxBytes` was reached. The allocator stays usable. */
export class OutOfMemoryError extends PymemError {
  /** `"OutOfMemoryError"`, so stack traces and `console.error` name the class. */
  override name = "OutOfMemoryError";
  /** Bytes the failed call asked for. */
  readonly requested: number;
  /** The buffer limit that was reached, in bytes. */
  readonly maxBytes: number;
  constructor(requested: number, maxBytes: number, what = "allocation") {
    super(`out of memory: ${what} of ${requested} bytes does not fit within maxBytes ${maxBytes}`);
    this.requested = requested;
    this.maxBytes = maxBytes;
  }
}

/** An address that is not a live block of this allocator (never allocated, interior, or foreign). */
export class InvalidAddressError extends PymemError {
  /** `"InvalidAddressError"`, so stack traces and `console.error` name the class. */
  override name = "InvalidAddressError";
  /** The offending address. */
  readonly address: number;
  constructor(address: number, reason: string) {
    super(`invalid address ${formatAddress(address)}: ${reason}`);
    this.address = address;
  }
}

/** A block was freed twice. */
export class DoubleFreeError extends PymemError {
  /** `"DoubleFreeError"`, so stack traces and `console.error` name the class. */
  override name = "DoubleFreeError";
  /** The address freed a second time. */
  readonly address: number;
  constructor(address: number) {
    super(`double free of ${formatAddress(address)}: the block is already free`);
    this.address = address;
  }
}

/** `validate()` found a broken invariant: the heap's bookkeeping is inconsistent at `address`. */
export class HeapCorruptionError extends PymemError {
  /** `"HeapCorruptionError"`, so stack traces and `console.error` name the class. */
  override name = "HeapCorruptionError";
  /** Where the inconsistency was found. */
  readonly address: number;
  /**
   * For the debug allocator's checks: what CPython prints before it aborts
   * (`_PyObject_DebugDumpAddress`' report and the fatal error line).
   */
  readonly report: string | undefined;
  constructor(address: number, detail: string, extra: { report?: string } = {}) {
    super(`heap corruption at ${formatAddress(address)}: ${detail}`);
    this.address = address;
    this.report = extra.report;
  }
}

/** A trace line that cannot be parsed or replayed. */
export class TraceError extends PymemError {
  /** `"TraceError"`, so stack traces and `console.error` name the class. */
  override name = "TraceError";
  /** 1-based line number in the trace. */
  readonly line: number;
  /** The text of that line. */
  readonly text: string;
  constructor(line: number, text: string, expected: string) {
    super(`line ${line}: ${expected} (got ${JSON.stringify(text)})`);
    this.line = line;
    this.text = text;
  }
}

/** Addresses print in hex, as a debugger would show them, with the decimal value for searching logs. */
export function formatAddress(address: number): string {
  if (!Number.isFinite(address)) return String(address);
  return `0x${address.toString(16)} (${address})`;
}
