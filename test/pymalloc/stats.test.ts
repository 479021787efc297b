import { describe, expect, it } from "vitest";
import { BlockAllocator, printOne, profiles, RawAllocator, withCommas } from "../../src/index.js";

describe("the stats report", () => {
  it("writes numbers with a comma every three digits", () => {
    expect(withCommas(0)).toBe("0");
    expect(withCommas(999)).toBe("999");
    expect(withCommas(1000)).toBe("1,000");
    expect(withCommas(4194304)).toBe("4,194,304");
    expect(withCommas(123456789012)).toBe("123,456,789,012");
  });

  it("printOne pads the label to 35 columns and the value to 21", () => {
    const line = printOne("# arenas allocated total", 4);
    expect(line).toHaveLength(58);
    expect(line.indexOf("=")).toBe(35);
    expect(line.endsWith("                    4\n")).toBe(true);
    const long = printOne("x".repeat(40), 1);
    expect(long.startsWith(`${"x".repeat(40)}=`)).toBe(true);
  });

  it("its totals add up to the arenas' bytes, as CPython's report promises", () => {
    for (const profile of [profiles["cpython-3.8"], profiles["cpython-3.11"]]) {
      const blocks = new BlockAllocator({ raw: new RawAllocator(), profile });
      const live: number[] = [];
      for (let i = 0; i < 5000; i++) live.push(blocks.malloc(1 + ((i * 37) % 512)));
      for (let i = 0; i < live.length; i += 3) blocks.free(live[i] as number);
      const text = blocks.debugMallocStats();
      const totals = [...text.matchAll(/^Total +=\s+([\d,]+)$/gm)].map((m) =>
        Number((m[1] as string).replaceAll(",", "")),
      );
      const arenas = Number((/arenas \* \d+ bytes\/arena +=\s+([\d,]+)/.exec(text)?.[1] ?? "").replaceAll(",", ""));
      expect(totals[0]).toBe(arenas);
      expect(arenas).toBe(blocks.stats().arenasAllocatedCurrent * profile.arenaSize);
      expect(text.includes("arena map counts")).toBe(profile.arenaMap.kind === "radix-tree");
    }
  });

  it("an allocator that never allocated prints an empty table", () => {
    const text = new BlockAllocator().debugMallocStats();
    expect(text).toMatch(/^Small block threshold = 512, in 32 size classes\.\n\nclass/);
    expect(text).toMatch(/# arenas allocated current +=\s+0\n/);
    expect(text).toMatch(/# arena map mid nodes +=\s+0\n/);
  });
});
