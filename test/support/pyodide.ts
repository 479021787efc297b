/**
 * CPython 3.14 compiled to WebAssembly (Pyodide, a devDependency pinned to a
 * release built from CPython 3.14.2), the reference for the differential
 * tests of the 3.14 profile: no native 3.14 interpreter installs here.
 */
import type { PyodideAPI } from "pyodide";

let loading: Promise<PyodideAPI> | undefined;

/** The interpreter, loaded once per test file; rejects unless it runs CPython 3.14.0–3.14.4. */
export function pyodide314(): Promise<PyodideAPI> {
  loading ??= (async () => {
    const { loadPyodide } = await import("pyodide");
    const py = await loadPyodide();
    const version = py.runPython("import sys; '%d.%d.%d' % sys.version_info[:3]") as string;
    if (!/^3\.14\.[0-4]$/.test(version)) throw new Error(`Pyodide runs CPython ${version}, not 3.14.0–3.14.4`);
    return py;
  })();
  return loading;
}

/**
 * The address of the interpreter's gc state (`interp->gc`) in Pyodide's
 * 32-bit memory, found by its contents: the young generation's threshold and
 * old[0]'s at words 2 and 6, then (words 26 and 27) the `gc.garbage` and
 * `gc.callbacks` lists. Layout of CPython 3.14.2's `struct _gc_runtime_state`.
 */
export function gcStateAddress(py: PyodideAPI): number {
  const [garbage, callbacks, t0, t1] = (
    py.runPython("import gc; [id(gc.garbage), id(gc.callbacks), *gc.get_threshold()[:2]]") as { toJs(): number[] }
  ).toJs() as [number, number, number, number];
  const heap = (py as unknown as { _module: { HEAP32: Int32Array } })._module.HEAP32;
  let found = -1;
  for (let i = 0; i + 28 < heap.length; i++) {
    if (heap[i + 26] === garbage && heap[i + 27] === callbacks && heap[i + 2] === t0 && heap[i + 6] === t1) {
      if (found >= 0) throw new Error("the gc state is not unique in Pyodide's memory");
      found = i * 4;
    }
  }
  if (found < 0) throw new Error("the gc state was not found in Pyodide's memory");
  return found;
}
