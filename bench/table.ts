/** A result table: printed to the terminal and written to docs/performance.md. */
export interface Table {
  title: string;
  head: string[];
  rows: string[][];
  notes: string[];
}

/** Markdown of a table. */
export function markdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    `## ${t.title}`,
    "",
    line(t.head),
    line(t.head.map(() => "---")),
    ...t.rows.map(line),
    "",
    ...t.notes.map((n) => `${n}\n`),
  ].join("\n");
}

/** Plain text of a table, columns aligned. */
export function text(t: Table): string {
  const all = [t.head, ...t.rows];
  const width = t.head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(width[i] ?? 0) : c.padStart(width[i] ?? 0))).join("  ");
  return [t.title, fmt(t.head), ...t.rows.map(fmt), ...t.notes.map((n) => `  ${n}`)].join("\n");
}
