/** `pymem replay --by-type`: live blocks and bytes per Python type at the peak and at the end, as text. */
import { type TypeTable, type TypeUsage, withCommas } from "pymem";

/** Rows per table; the rest are summed into one. */
const SHOWN = 25;

function percent(part: number, whole: number): string {
  return whole === 0 ? "-" : ((100 * part) / whole).toFixed(1);
}

function table(title: string, t: TypeTable): string {
  const head = `${title} (after op ${withCommas(t.op)}): ${withCommas(t.liveBlocks)} live blocks, ${withCommas(t.liveBytes)} bytes`;
  const rows: string[][] = [["type", "objects", "object bytes", "owned blocks", "owned bytes", "bytes", "%"]];
  const add = (name: string, objects: number, objectBytes: number, parts: number, partBytes: number) =>
    rows.push([
      name,
      withCommas(objects),
      withCommas(objectBytes),
      withCommas(parts),
      withCommas(partBytes),
      withCommas(objectBytes + partBytes),
      percent(objectBytes + partBytes, t.liveBytes),
    ]);
  for (const u of t.types.slice(0, SHOWN)) add(u.type, u.objects, u.objectBytes, u.parts, u.partBytes);
  const rest = t.types.slice(SHOWN);
  if (rest.length > 0) {
    const sum = (f: (u: (typeof rest)[number]) => number) => rest.reduce((a, u) => a + f(u), 0);
    add(
      `(${rest.length} other types)`,
      sum((u) => u.objects),
      sum((u) => u.objectBytes),
      sum((u) => u.parts),
      sum((u) => u.partBytes),
    );
  }
  rows.push([
    "(untyped blocks)",
    withCommas(t.untypedBlocks),
    withCommas(t.untypedBytes),
    "",
    "",
    withCommas(t.untypedBytes),
    percent(t.untypedBytes, t.liveBytes),
  ]);
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const lines = rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join("  "),
  );
  return `${head}\n${lines.map((l) => `  ${l.trimEnd()}`).join("\n")}\n`;
}

/** Both tables, or why there are none. */
export function formatByType(u: TypeUsage): string {
  if (!u.annotated) {
    return "bytes by type: the trace names no block (record it with pymem record to get # type annotations)\n";
  }
  return `${table("bytes by type at the peak", u.peak)}\n${table("bytes by type at the end", u.end)}`;
}
