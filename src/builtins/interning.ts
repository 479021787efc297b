/**
 * Interned strs: `sys.intern` and the names of attributes, one str per text
 * (PyUnicode_InternInPlace). 3.12 makes an interned str immortal; the other
 * releases keep it mortal: the table's own references are not counted, and
 * the str leaves the table when it dies (unicode_dealloc), so its block is
 * freed as any str's.
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import { InternTable } from "./intern-table.js";

// PyASCIIObject.state's two low bits: SSTATE_INTERNED_MORTAL and SSTATE_INTERNED_IMMORTAL.
const STATE = 32;
const INTERNED_MORTAL = 1;
const INTERNED_IMMORTAL = 2;
const INTERNED_BITS = 3;

/** The interned strs of one Builtins. */
export class Interning {
  private readonly core: ObjectCore;
  private readonly table: InternTable;
  // 3.12 only: 3.13 made the strs sys.intern returns mortal again (statically known names stay immortal).
  private readonly immortal: boolean;

  constructor(core: ObjectCore, minor: number, hash: (s: number) => number, equal: (a: number, b: number) => boolean) {
    this.core = core;
    this.immortal = minor === 12 && core.profile.immortalRefcount !== null;
    this.table = new InternTable(hash, equal);
  }

  /** How many strs are interned. */
  get size(): number {
    return this.table.size;
  }

  /** sys.intern(s): a new reference to the str interned under the text of `s`, `s` itself when it is the first. */
  intern(s: number): number {
    const core = this.core;
    const t = this.table.find(s);
    if (t !== 0) {
      core.incref(t);
      return t;
    }
    this.table.add(s);
    const at = (s + STATE) >>> 2;
    const state = core.u32[at] as number;
    if (core.immortal(s)) {
      // Already immortal (3.12+'s static strs: names, one-character latin-1 strs): interned as it stands.
      core.u32[at] = (state & ~INTERNED_BITS) | INTERNED_IMMORTAL;
      return s;
    }
    if (this.immortal) {
      core.writeWord(s, core.profile.immortalRefcount as number);
      core.u32[at] = (state & ~INTERNED_BITS) | INTERNED_IMMORTAL;
      return s;
    }
    core.u32[at] = (state & ~INTERNED_BITS) | INTERNED_MORTAL;
    core.incref(s);
    return s;
  }

  /**
   * An attribute name's str, `made` (a static str of the name, just placed)
   * or the str already interned with its text, taken for good; `made` is
   * then undone, its raw block freed.
   */
  internName(made: number): number {
    const t = this.table.find(made);
    if (t === 0) {
      // Interned, the reference intern() returns given back: the caller's stays the one the name was made with.
      this.core.decref(this.intern(made));
      return made;
    }
    if (t !== made) {
      this.core.unplaceStatic(made);
      this.core.allocator.raw.free(made);
    }
    this.core.incref(t);
    return t;
  }

  /** unicode_dealloc's first step: a mortal interned str leaves the table. Returns the block to free. */
  dying(s: number): number {
    if (((this.core.u32[(s + STATE) >>> 2] as number) & INTERNED_BITS) === INTERNED_MORTAL) this.table.remove(s);
    return s;
  }
}
