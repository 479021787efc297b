import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { AddressTable } from "../../src/internal/address-table.js";

describe("AddressTable", () => {
  test.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 400 }), fc.nat(1000)), { maxLength: 600 })])(
    "holds what a Map holds after any sequence of sets and deletes",
    (steps) => {
      const table = new AddressTable();
      const model = new Map<number, number>();
      for (const [del, granule, value] of steps) {
        // Few distinct addresses, so that runs collide and deletion shifts entries back.
        const address = granule * 16;
        if (del) expect(table.delete(address)).toBe(model.delete(address));
        else {
          table.set(address, value);
          model.set(address, value);
        }
        expect(table.size).toBe(model.size);
      }
      for (let g = 1; g <= 400; g++) expect(table.get(g * 16)).toBe(model.get(g * 16) ?? -1);
    },
  );

  test.prop([
    fc.uniqueArray(fc.integer({ min: 1, max: 1 << 24 }), { minLength: 31, maxLength: 31 }),
    fc.infiniteStream(fc.nat()),
  ])("finds every entry after each deletion from a table at its fullest (long probe runs)", (granules, picks) => {
    // 31 entries in 64 slots: the most before it doubles, so runs are long and deletion shifts often.
    const table = new AddressTable();
    const live = granules.map((g) => g * 16);
    for (const [i, a] of live.entries()) table.set(a, i);
    const values = new Map(live.map((a, i) => [a, i]));
    const it = picks[Symbol.iterator]();
    while (live.length > 0) {
      const [gone] = live.splice((it.next().value as number) % live.length, 1);
      expect(table.delete(gone as number)).toBe(true);
      expect(table.get(gone as number)).toBe(-1);
      for (const a of live) expect(table.get(a)).toBe(values.get(a));
    }
    expect(table.size).toBe(0);
  });
});
