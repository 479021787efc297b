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
});
