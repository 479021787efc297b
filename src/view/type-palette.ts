/**
 * Colours for Python types in a picture: the types with the most blocks get
 * hues of their own, the rest share one grey, untyped blocks another.
 *
 * @module
 */

/** Distinct, print-safe hues (Tableau's ten and two more), most frequent type first. */
const HUES = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#393b79",
  "#637939",
  "#843c39",
];

/** The colour of types past the palette. */
export const OTHER_TYPES_COLOR = "#7f7f7f";
/** The colour of blocks no annotation names. */
export const UNTYPED_COLOR = "#c7c7c7";

/** One key of a legend. */
export interface TypeKey {
  /** The type's name, `other types` or `untyped`. */
  label: string;
  /** Its colour. */
  color: string;
  /** Blocks drawn in it. */
  blocks: number;
}

/** Colours chosen for the types of one picture. */
export interface TypePalette {
  /** The colour of a block of type `name` (undefined: untyped). */
  colorOf(name: string | undefined): string;
  /** The legend: the types with a hue of their own (most blocks first), then other types and untyped if drawn. */
  keys: TypeKey[];
}

/**
 * A palette for a picture whose blocks of each type are counted in
 * `blocksByType` (`undefined` counts untyped blocks): the `max` types with
 * the most blocks (ties by name) get a hue each.
 */
export function typePalette(blocksByType: ReadonlyMap<string | undefined, number>, max = HUES.length): TypePalette {
  const named = [...blocksByType].filter((e): e is [string, number] => e[0] !== undefined);
  named.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const own = new Map<string, string>();
  const keys: TypeKey[] = [];
  const n = Math.min(max, HUES.length);
  let others = 0;
  named.forEach(([name, blocks], i) => {
    if (i < n) {
      own.set(name, HUES[i] as string);
      keys.push({ label: name, color: HUES[i] as string, blocks });
    } else {
      others += blocks;
    }
  });
  if (others > 0) keys.push({ label: "other types", color: OTHER_TYPES_COLOR, blocks: others });
  const untyped = blocksByType.get(undefined) ?? 0;
  if (untyped > 0) keys.push({ label: "untyped", color: UNTYPED_COLOR, blocks: untyped });
  return {
    colorOf: (name) => (name === undefined ? UNTYPED_COLOR : (own.get(name) ?? OTHER_TYPES_COLOR)),
    keys,
  };
}
