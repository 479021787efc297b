/**
 * What a generator of steps knows of its registers: which hold something,
 * which hold lists (and how long) or dicts (and which keys), and each
 * hashable value's identity as a key, so that equal keys (1000 and 1000.0,
 * two equal strs) are told apart from distinct ones as Python does.
 */
import type { Step } from "./constructions.js";

interface Held {
  /** The key identity of a hashable value; undefined for a list, a dict, or a tuple holding one. */
  key: string | undefined;
  /** A list's length. */
  length?: number;
  /** A dict's keys, or a set's items. */
  keys?: Set<string>;
  /** Whether it is a set (else a dict, when it has keys). */
  isSet?: boolean;
  /** An instance's class (its attributes are `keys`, shared with its `__dict__` once asked for). */
  cls?: number;
}

/** The registers' contents as the steps leave them. */
export class Registers {
  private readonly held: Array<Held | undefined>;

  constructor(n: number) {
    this.held = new Array<Held | undefined>(n).fill(undefined);
  }

  /** Registers holding something. */
  live(): number[] {
    return this.held.flatMap((h, r) => (h ? [r] : []));
  }

  /** What register `r` holds, as a key of equal values (`s:` and the text for a str), if anything hashable. */
  keyOf(r: number): string | undefined {
    return this.held[r]?.key;
  }

  /** Registers holding a hashable value. */
  hashable(): number[] {
    return this.held.flatMap((h, r) => (h?.key !== undefined ? [r] : []));
  }

  /** Registers holding a list (`nonEmpty`: with an item). */
  lists(nonEmpty = false): number[] {
    return this.held.flatMap((h, r) => (h?.length !== undefined && (!nonEmpty || h.length > 0) ? [r] : []));
  }

  /** Registers holding a dict. */
  dicts(): number[] {
    return this.held.flatMap((h, r) => (h?.keys !== undefined && !h.isSet && h.cls === undefined ? [r] : []));
  }

  /** Registers holding an instance of a class. */
  instances(): number[] {
    return this.held.flatMap((h, r) => (h?.cls !== undefined ? [r] : []));
  }

  /** The class of the instance in register `r`. */
  classOf(r: number): number {
    return this.held[r]?.cls as number;
  }

  /** The attribute names the instance in register `r` holds (its `__dict__`'s str keys that are names). */
  attrsOf(r: number): string[] {
    const names: string[] = [];
    for (const k of this.held[r]?.keys ?? []) if (/^s:[A-Za-z_]\w*$/.test(k)) names.push(k.slice(2));
    return names;
  }

  /** Registers holding a str. */
  strs(): number[] {
    return this.held.flatMap((h, r) => (h?.key?.startsWith("s:") ? [r] : []));
  }

  /** Registers holding a set. */
  sets(): number[] {
    return this.held.flatMap((h, r) => (h?.isSet ? [r] : []));
  }

  /** Registers holding a frozenset. */
  frozensets(): number[] {
    return this.held.flatMap((h, r) => (h?.key?.startsWith("F:") ? [r] : []));
  }

  /** Registers holding a key that dict (or set) `d` has. */
  keysIn(d: number): number[] {
    const keys = this.held[d]?.keys as Set<string>;
    return this.held.flatMap((h, r) => (h?.key !== undefined && keys.has(h.key) ? [r] : []));
  }

  /** Whether a register holds something. */
  has(r: number): boolean {
    return this.held[r] !== undefined;
  }

  /** Records what a step leaves in its register. */
  apply(s: Step): void {
    const h = this.held;
    const key = (r: number) => (h[r] as Held).key as string;
    switch (s.op) {
      case "int":
        h[s.dst] = { key: `n:${s.value}` };
        break;
      case "float":
        h[s.dst] = { key: Number.isInteger(s.value) ? `n:${BigInt(s.value)}` : `f:${s.value}` };
        break;
      case "str":
        h[s.dst] = { key: `s:${s.value}` };
        break;
      case "bytes":
        h[s.dst] = { key: `b:${"0,".repeat(s.length)}` };
        break;
      case "byte":
        h[s.dst] = { key: `b:${s.value},` };
        break;
      case "none":
        // Hashable, but up to 3.11 by its address, which differs from run to run: never a key here.
        h[s.dst] = { key: undefined };
        break;
      case "bool":
        h[s.dst] = { key: `n:${s.value ? 1 : 0}` };
        break;
      case "tuple": {
        const items = s.items.map((r) => h[r]?.key);
        h[s.dst] = { key: items.every((k) => k !== undefined) ? `t:(${items.join("|")})` : undefined };
        break;
      }
      case "list":
        h[s.dst] = { key: undefined, length: s.items.length };
        break;
      case "dict":
        h[s.dst] = { key: undefined, keys: new Set() };
        break;
      case "dictDisplay": {
        const keys = new Set(s.entries.map(([k]) => key(k)));
        h[s.dst] = { key: undefined, keys };
        break;
      }
      case "append":
        (h[s.dst] as Held).length = ((h[s.dst] as Held).length as number) + 1;
        break;
      case "extend":
        (h[s.dst] as Held).length = ((h[s.dst] as Held).length as number) + s.items.length;
        break;
      case "pop":
        (h[s.dst] as Held).length = ((h[s.dst] as Held).length as number) - 1;
        break;
      case "setitem":
        ((h[s.dst] as Held).keys as Set<string>).add(key(s.key));
        break;
      case "delitem":
        ((h[s.dst] as Held).keys as Set<string>).delete(key(s.key));
        break;
      case "set":
        h[s.dst] = { key: undefined, keys: new Set(), isSet: true };
        break;
      case "add":
        ((h[s.dst] as Held).keys as Set<string>).add(key(s.item));
        break;
      case "discard":
        ((h[s.dst] as Held).keys as Set<string>).delete(key(s.item));
        break;
      case "clear": {
        const held = h[s.dst] as Held;
        if (held.length !== undefined) held.length = 0;
        held.keys?.clear();
        break;
      }
      case "del":
        h[s.dst] = undefined;
        break;
      case "concat":
        h[s.dst] = { key: `s:${key(s.a).slice(2)}${key(s.b).slice(2)}` };
        break;
      case "iadd":
        h[s.dst] = { key: `s:${key(s.dst).slice(2)}${key(s.item).slice(2)}` };
        break;
      case "join": {
        const sep = key(s.sep).slice(2);
        h[s.dst] = { key: `s:${s.items.map((r) => key(r).slice(2)).join(sep)}` };
        break;
      }
      case "iaddLoop":
        h[s.dst] = { key: `s:${key(s.dst).slice(2)}${s.parts.join("")}` };
        break;
      case "joinParts":
        h[s.dst] = { key: `s:${s.parts.join("")}` };
        break;
      case "collect":
        break;
      case "object":
        h[s.dst] = { key: undefined, keys: new Set(), cls: s.cls };
        break;
      case "setattr":
        ((h[s.dst] as Held).keys as Set<string>).add(`s:${s.name}`);
        break;
      case "delattr":
        ((h[s.dst] as Held).keys as Set<string>).delete(`s:${s.name}`);
        break;
      case "frozenset": {
        // Equal items once; its identity as a key is the set of theirs.
        const items = [...new Set((s.items ?? []).map(key))].sort();
        h[s.dst] = { key: `F:{${items.join("|")}}` };
        break;
      }
      case "frozensetOf": {
        const src = h[s.src] as Held;
        // A frozenset is itself; a set's items or a dict's keys, once each.
        h[s.dst] = src.keys === undefined ? { key: src.key } : { key: `F:{${[...src.keys].sort().join("|")}}` };
        break;
      }
      case "intern":
        h[s.dst] = { key: key(s.src) };
        break;
      case "getdict":
        // The dict and the instance hold the same attributes from now on.
        h[s.dst] = { key: undefined, keys: (h[s.src] as Held).keys as Set<string> };
        break;
    }
  }
}
