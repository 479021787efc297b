import { fc, test } from "@fast-check/vitest";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { describe, expect, it } from "vitest";
import {
  type Arena,
  BlockAllocator,
  type ProfileName,
  profiles,
  RawAllocator,
  renderHeapMap,
  sizeClassColor,
} from "../../src/index.js";
import { churn } from "../support/workload.js";

/** A heap shaped by a seeded mix of mallocs and frees, in checked mode (its live bitmap is the witness). */
function heap(profile: ProfileName, seed: number, ops: number): BlockAllocator {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles[profile], checked: true });
  churn(blocks, seed, ops, { freeChance: 0.45 });
  return blocks;
}

function parse(svg: string): Element {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, msg) => {
      if (level !== "warning") errors.push(`${level}: ${msg}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  expect(errors).toEqual([]);
  return doc.documentElement as unknown as Element;
}

function all(root: Element, tag: string): Element[] {
  return Array.from(root.getElementsByTagName(tag)) as unknown as Element[];
}

const num = (e: Element, name: string) => Number(e.getAttribute(name));

describe("renderHeapMap, pools", () => {
  test.prop(
    [
      fc.constantFrom<ProfileName>("cpython-3.8", "cpython-3.11", "cpython-3.13"),
      fc.integer(),
      fc.integer({ min: 0, max: 120_000 }),
    ],
    {
      numRuns: 12,
    },
  )(
    "every pool an arena can hold is drawn once, carved ones with their header's state, class and count",
    (name, seed, ops) => {
      const blocks = heap(name, seed, ops);
      const svg = parse(renderHeapMap(blocks, { detail: "pools" }));
      const rows = all(svg, "g").filter((g) => g.hasAttribute("data-arena"));
      const arenas = blocks.arenas();
      expect(rows.map((g) => num(g, "data-arena"))).toEqual(arenas.map((a) => a.index));
      arenas.forEach((a, i) => {
        const row = rows[i] as Element;
        const pools = all(row, "g").filter((g) => g.hasAttribute("data-pool"));
        const carved = a.pools();
        expect(pools.map((g) => num(g, "data-pool"))).toEqual(carved.map((p) => p.address));
        pools.forEach((g, k) => {
          const p = carved[k];
          expect(g.getAttribute("data-state")).toBe(p?.state);
          expect(num(g, "data-used")).toBe(p?.blocksInUse);
          expect(num(g, "data-capacity")).toBe(p?.capacity);
          if (p?.state !== "empty") expect(num(g, "data-class")).toBe(p?.sizeClass);
        });
        const unused = all(row, "rect").filter((r) => r.getAttribute("class") === "unused");
        expect(unused.length + carved.length).toBe(a.nTotalPools);
      });
      blocks.validate();
    },
  );

  it("fills a pool's cell from the bottom in proportion to its blocks in use", () => {
    const blocks = heap("cpython-3.11", 7, 60_000);
    const cell = 20;
    const svg = parse(renderHeapMap(blocks, { detail: "pools", cellSize: cell }));
    const pools = all(svg, "g").filter((g) => g.hasAttribute("data-pool") && g.getAttribute("data-state") !== "empty");
    expect(pools.length).toBeGreaterThan(10);
    for (const g of pools) {
      const [back, solid] = all(g, "rect") as [Element, Element];
      const used = num(g, "data-used");
      const capacity = num(g, "data-capacity");
      expect(num(back, "height")).toBe(cell);
      expect(num(solid, "height")).toBe(Math.max(1, Math.round((cell * used) / capacity)));
      expect(num(solid, "y") + num(solid, "height")).toBe(num(back, "y") + cell);
      expect(solid.getAttribute("fill")).toBe(sizeClassColor(num(g, "data-class"), 32));
    }
  });

  it("draws several arenas as pools, and one arena block by block, unless told", () => {
    const one = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    one.malloc(8);
    expect(renderHeapMap(one)).toContain('data-side="');
    expect(renderHeapMap(one, { detail: "pools" })).not.toContain('data-side="');
    const many = heap("cpython-3.11", 3, 120_000);
    expect(many.arenas().length).toBeGreaterThan(1);
    expect(renderHeapMap(many)).not.toContain('data-side="');
    const index = (many.arenas()[1] as { index: number }).index;
    const zoomed = parse(renderHeapMap(many, { arena: index }));
    expect(
      all(zoomed, "g")
        .filter((g) => g.hasAttribute("data-arena"))
        .map((g) => num(g, "data-arena")),
    ).toEqual([index]);
  });

  it("says so when there is no arena, and escapes the title", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    // Characters XML 1.0 forbids even as references become U+FFFD.
    const odd = renderHeapMap(blocks, { title: "bell \u0007, nul \u0000, lone \ud800" });
    expect(odd.isWellFormed()).toBe(true);
    expect([...odd].every((ch) => ch.charCodeAt(0) >= 0x20 || "\t\n\r".includes(ch))).toBe(true);
    expect(odd).toContain("bell \ufffd, nul \ufffd, lone \ufffd");
    const svg = renderHeapMap(blocks, { title: `<a & "b">` });
    const root = parse(svg);
    const texts = all(root, "text").map((t) => t.textContent);
    expect(texts).toContain(`<a & "b">`);
    expect(texts).toContain("no arena allocated");
  });
});

describe("renderHeapMap, blocks", () => {
  test.prop(
    [
      fc.constantFrom<ProfileName>("cpython-3.8", "cpython-3.11", "cpython-3.12"),
      fc.integer(),
      fc.integer({ min: 1, max: 30_000 }),
    ],
    {
      numRuns: 10,
    },
  )("every block of a carved pool is drawn once, solid exactly when the allocator holds it live", (name, seed, ops) => {
    const blocks = heap(name, seed, ops);
    const arena = blocks.arenas()[0];
    if (arena === undefined) return;
    const svg = parse(renderHeapMap(blocks, { arena: arena.index }));
    const { poolOverhead } = blocks.profile;
    const pools = all(svg, "g").filter((g) => g.hasAttribute("data-pool") && g.getAttribute("data-state") !== "empty");
    for (const g of pools) {
      const address = num(g, "data-pool");
      const capacity = num(g, "data-capacity");
      const size = (num(g, "data-class") + 1) * blocks.profile.alignment;
      const side = num(g, "data-side");
      const cols = Math.ceil(Math.sqrt(capacity));
      const rects = all(g, "rect");
      const tile = rects.find((r) => r.getAttribute("class") === "tile") as Element;
      const seen = new Uint8Array(capacity);
      let solid = 0;
      for (const r of rects) {
        const cls = r.getAttribute("class");
        if (cls === "tile" || cls === "nb") continue;
        const row = Math.round((num(r, "y") - num(tile, "y")) / side);
        const col = Math.round((num(r, "x") - num(tile, "x")) / side);
        const n = Math.round(num(r, "width") / side);
        for (let i = row * cols + col; i < row * cols + col + n; i++) {
          expect(seen[i]).toBe(0);
          seen[i] = 1;
          const live = blocks.isLive(address + poolOverhead + i * size);
          expect(live, `block ${i} of pool ${address} (${cls})`).toBe(cls === "u");
          if (cls === "u") solid++;
        }
      }
      expect(seen.every((v) => v === 1)).toBe(true);
      expect(solid).toBe(num(g, "data-used"));
    }
  });
});

describe("renderHeapMap, hideUncarved", () => {
  /** The pool groups drawn, checked against the arena's carved pools: address, state, class, count, capacity. */
  function expectCarvedPools(root: Element, arena: Arena) {
    const carved = arena.pools();
    const drawn = all(root, "g").filter((g) => g.hasAttribute("data-pool"));
    expect(drawn.map((g) => num(g, "data-pool"))).toEqual(carved.map((p) => p.address));
    drawn.forEach((g, k) => {
      const p = carved[k] as (typeof carved)[number];
      expect(g.getAttribute("data-state")).toBe(p.state);
      expect(num(g, "data-class")).toBe(p.sizeClass);
      expect(num(g, "data-used")).toBe(p.blocksInUse);
      expect(num(g, "data-capacity")).toBe(p.capacity);
      expect(all(g, "title")[0]?.textContent).toContain(`pool 0x${p.address.toString(16)}`);
    });
  }

  const noUncarvedTile = (root: Element) => {
    expect(all(root, "rect").filter((r) => r.getAttribute("class") === "unused")).toEqual([]);
    expect(all(root, "text").filter((t) => t.textContent === "never carved")).toEqual([]);
  };

  const caption = (root: Element) => all(root, "text").filter((t) => t.hasAttribute("data-uncarved"));

  it("leaves a nearly empty heap's block view with its carved pools only, and says how many it left out", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    blocks.malloc(24);
    blocks.malloc(400);
    const arena = blocks.arenas()[0] as Arena;
    expect(arena.nCarvedPools).toBe(2);
    // By default the 61 pools never carved are drawn, each a dashed tile.
    const drawn = renderHeapMap(blocks, { arena: arena.index });
    expect(renderHeapMap(blocks, { arena: arena.index, hideUncarved: false })).toBe(drawn);
    const full = parse(drawn);
    const dashed = all(full, "rect").filter((r) => r.getAttribute("class") === "unused");
    expect(dashed.length).toBe(arena.nTotalPools - 2 + 1); // and the legend's key
    expect(caption(full)).toEqual([]);
    const svg = renderHeapMap(blocks, { arena: arena.index, hideUncarved: true });
    const root = parse(svg);
    noUncarvedTile(root);
    expectCarvedPools(root, arena);
    expect(all(root, "g").filter((g) => g.hasAttribute("data-side")).length).toBe(2);
    const [line] = caption(root) as [Element];
    expect(num(line, "data-uncarved")).toBe(arena.nTotalPools - 2);
    expect(line.textContent).toBe(`${arena.nTotalPools - 2} pools never carved, not drawn`);
    const group = all(root, "g").find((g) => g.hasAttribute("data-arena")) as Element;
    expect(num(group, "data-uncarved")).toBe(arena.nTotalPools - 2);
    // One row of tiles instead of eight: the picture shrinks to what there is.
    expect(num(root, "height")).toBeLessThan(num(full, "height") / 2);
    // The same drawing through `detail: "blocks"` and through auto (one arena).
    expect(renderHeapMap(blocks, { detail: "blocks", hideUncarved: true })).toBe(svg);
    expect(renderHeapMap(blocks, { hideUncarved: true })).toBe(svg);
  });

  test.prop(
    [
      fc.constantFrom<ProfileName>("cpython-3.8", "cpython-3.11", "cpython-3.13"),
      fc.integer(),
      fc.integer({ min: 1, max: 120_000 }),
    ],
    { numRuns: 10 },
  )("draws every carved pool with its data, no pool never carved, and counts those left out", (name, seed, ops) => {
    const blocks = heap(name, seed, ops);
    const arenas = blocks.arenas();
    const uncarved = (a: Arena) => a.nTotalPools - a.nCarvedPools;
    for (const a of arenas) {
      const root = parse(renderHeapMap(blocks, { arena: a.index, hideUncarved: true }));
      noUncarvedTile(root);
      expectCarvedPools(root, a);
      expect(caption(root).map((t) => num(t, "data-uncarved"))).toEqual([uncarved(a)]);
    }
    const root = parse(renderHeapMap(blocks, { detail: "pools", hideUncarved: true }));
    noUncarvedTile(root);
    const rows = all(root, "g").filter((g) => g.hasAttribute("data-arena"));
    expect(rows.map((g) => num(g, "data-arena"))).toEqual(arenas.map((a) => a.index));
    arenas.forEach((a, i) => {
      expectCarvedPools(rows[i] as Element, a);
      expect(num(rows[i] as Element, "data-uncarved")).toBe(uncarved(a));
    });
    const total = arenas.reduce((n, a) => n + uncarved(a), 0);
    expect(caption(root).map((t) => num(t, "data-uncarved"))).toEqual(arenas.length === 0 ? [] : [total]);
  });
});

describe("renderHeapMap, bad options", () => {
  const blocks = heap("cpython-3.11", 5, 200_000);
  const before = JSON.stringify(blocks.stats());
  it.each([
    [{ detail: "arenas" }, /detail must be .* got "arenas"/],
    [{ cellSize: 2 }, /cellSize must be an integer from 4 to 64, got 2/],
    [{ cellSize: 10.5 }, /got 10.5/],
    [{ arena: 999 }, /arena 999 is not an allocated arena/],
    [{ arena: -1 }, /arena -1 is not/],
    [{ detail: "blocks" }, /detail "blocks" draws one arena: pass its index as arena \(there are \d+\)/],
  ])("%j throws a RangeError naming the value", (options, message) => {
    expect(() => renderHeapMap(blocks, options as never)).toThrow(RangeError);
    expect(() => renderHeapMap(blocks, options as never)).toThrow(message);
    expect(JSON.stringify(blocks.stats())).toBe(before);
    blocks.validate();
  });

  it("hideUncarved must be a boolean: a TypeError naming the value, changing nothing", () => {
    expect(() => renderHeapMap(blocks, { hideUncarved: "yes" } as never)).toThrow(TypeError);
    expect(() => renderHeapMap(blocks, { hideUncarved: 1 } as never)).toThrow(/hideUncarved must be a boolean, got 1/);
    expect(JSON.stringify(blocks.stats())).toBe(before);
    blocks.validate();
  });

  it("gives every size class its own colour", () => {
    const colours = new Set(Array.from({ length: 64 }, (_, c) => sizeClassColor(c, 64)));
    expect(colours.size).toBe(64);
  });
});

describe("renderHeapMap, blockType", () => {
  // Types by a hash of the address: a pool's blocks hold several types, some none.
  const typeAt = (address: number) => (address % 7 === 0 ? undefined : ["list", "dict", "str"][(address >> 4) % 3]);

  test.prop([fc.integer(), fc.integer({ min: 1, max: 20_000 })], { numRuns: 8 })(
    "every block in use is drawn in the colour its type has in the legend; free blocks are pale",
    (seed, ops) => {
      const blocks = heap("cpython-3.11", seed, ops);
      const arena = blocks.arenas()[0];
      if (arena === undefined) return;
      const svg = parse(renderHeapMap(blocks, { arena: arena.index, blockType: typeAt }));
      const legend = all(svg, "g").find((g) => g.getAttribute("class") === "legend") as Element;
      const colorOf = new Map<string, string>();
      const texts = all(legend, "text").filter((t) => t.hasAttribute("data-type"));
      const swatches = all(legend, "rect");
      texts.forEach((t, k) => {
        colorOf.set(t.getAttribute("data-type") as string, swatches[k]?.getAttribute("fill") as string);
      });
      const counts = new Map<string, number>();
      const { poolOverhead } = blocks.profile;
      for (const g of all(svg, "g").filter((x) => x.hasAttribute("data-side"))) {
        const address = num(g, "data-pool");
        const size = (num(g, "data-class") + 1) * blocks.profile.alignment;
        const side = num(g, "data-side");
        const cols = Math.ceil(Math.sqrt(num(g, "data-capacity")));
        const rects = all(g, "rect");
        const tile = rects.find((r) => r.getAttribute("class") === "tile") as Element;
        for (const r of rects) {
          const cls = r.getAttribute("class");
          if (cls !== "u" && cls !== "f") continue;
          const row = Math.round((num(r, "y") - num(tile, "y")) / side);
          const col = Math.round((num(r, "x") - num(tile, "x")) / side);
          for (let i = row * cols + col; i < row * cols + col + Math.round(num(r, "width") / side); i++) {
            if (cls === "f") {
              expect(r.getAttribute("fill")).toBe("#ececec");
              continue;
            }
            const t = typeAt(address + poolOverhead + i * size) ?? "untyped";
            counts.set(t, (counts.get(t) ?? 0) + 1);
            expect(r.getAttribute("fill"), `block ${i} of pool ${address}: ${t}`).toBe(colorOf.get(t));
          }
        }
      }
      // The legend counts each type's blocks in use.
      for (const t of texts) {
        const name = t.getAttribute("data-type") as string;
        expect(t.textContent).toBe(`${name} ${(counts.get(name) ?? 0).toLocaleString("en-US")}`);
      }
    },
  );

  it("colours a pool in the pools view after the type most of its blocks hold", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    const lists = Array.from({ length: 40 }, () => blocks.malloc(56));
    const strs = Array.from({ length: 10 }, () => blocks.malloc(56));
    blocks.malloc(100); // a pool of another class, untyped
    const type = new Map<number, string>([
      ...lists.map((a) => [a, "list"] as const),
      ...strs.map((a) => [a, "str"] as const),
    ]);
    const svg = parse(renderHeapMap(blocks, { detail: "pools", blockType: (a) => type.get(a) }));
    const pools = all(svg, "g").filter((g) => g.hasAttribute("data-pool"));
    expect(pools.map((g) => g.getAttribute("data-type")).sort()).toEqual(["", "list"]);
  });

  it("must be a function: a TypeError naming what it got", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    expect(() => renderHeapMap(blocks, { blockType: "list" as never })).toThrow(
      /blockType must be a function, got string/,
    );
  });
});
