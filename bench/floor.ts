/**
 * The "ideal" JS floor of a size-class allocator: the least work any
 * pymalloc-like allocator in JS must do per request, one free-list stack per
 * 16-byte size class in typed arrays, bump allocation, no arenas, pools,
 * checks or events. Large requests get bump-allocated too and are never
 * reused. Run through the same replay loop as pymem.
 */
const CLASSES = 32;
const STACK = 1 << 18;

export class FloorAllocator {
  private readonly stacks = new Uint32Array(CLASSES * STACK);
  private readonly top = new Int32Array(CLASSES);
  // Size class of each 16-byte granule's block (255 = large).
  private klass = new Uint8Array(1 << 20);
  private bump = 16;

  malloc(size: number): number {
    if (size === 0 || size > 512) return this.fresh(size === 0 ? 16 : size, 255);
    const c = (size - 1) >> 4;
    const t = this.top[c] as number;
    if (t > 0) {
      this.top[c] = t - 1;
      return this.stacks[c * STACK + t - 1] as number;
    }
    return this.fresh((c + 1) << 4, c);
  }

  calloc(nelem: number, elsize: number): number {
    return this.malloc(nelem * elsize);
  }

  realloc(address: number, size: number): number {
    this.free(address);
    return this.malloc(size);
  }

  free(address: number): void {
    const c = this.klass[address >>> 4] as number;
    if (c === 255) return;
    const t = this.top[c] as number;
    this.stacks[c * STACK + t] = address;
    this.top[c] = t + 1;
  }

  private fresh(bytes: number, c: number): number {
    const p = this.bump;
    this.bump += (bytes + 15) & ~15;
    const g = p >>> 4;
    if (g >= this.klass.length) {
      const k = new Uint8Array(this.klass.length * 2);
      k.set(this.klass);
      this.klass = k;
    }
    this.klass[g] = c;
    return p;
  }
}
