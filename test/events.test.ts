import { describe, expect, it } from "vitest";
import { Emitter } from "../src/index.js";

interface Events {
  ping: { n: number };
  pong: string;
}

describe("Emitter", () => {
  it("delivers payloads to listeners in subscription order and unsubscribes", () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const off = e.on("ping", (p) => seen.push(`a${p.n}`));
    e.on("ping", (p) => seen.push(`b${p.n}`));
    expect(e.hasListeners("ping")).toBe(true);
    expect(e.hasListeners("pong")).toBe(false);
    e.emit("ping", { n: 1 });
    off();
    off();
    e.emit("ping", { n: 2 });
    expect(seen).toEqual(["a1", "b1", "b2"]);
  });

  it("has no listeners after the last one leaves", () => {
    const e = new Emitter<Events>();
    const off = e.on("pong", () => {});
    off();
    expect(e.hasListeners("pong")).toBe(false);
  });

  it("once fires a single time", () => {
    const e = new Emitter<Events>();
    let calls = 0;
    e.once("pong", () => calls++);
    e.emit("pong", "x");
    e.emit("pong", "y");
    expect(calls).toBe(1);
  });

  it("a listener unsubscribing during emit does not skip the others", () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const off = e.on("pong", () => {
      seen.push("first");
      off();
    });
    e.on("pong", () => seen.push("second"));
    e.emit("pong", "x");
    expect(seen).toEqual(["first", "second"]);
  });

  it("runs every listener, then rethrows the first error", () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on("pong", () => {
      throw new Error("one");
    });
    e.on("pong", () => {
      seen.push("ran");
      throw new Error("two");
    });
    expect(() => e.emit("pong", "x")).toThrow("one");
    expect(seen).toEqual(["ran"]);
  });

  it("rejects a listener that is not a function, naming the event", () => {
    const e = new Emitter<Events>();
    expect(() => e.on("ping", 5 as never)).toThrow(/ping/);
  });

  it("holds listener errors until the outermost release, and refuses a release with nothing held", () => {
    const e = new Emitter<Events>();
    e.on("ping", () => {
      throw new Error("held");
    });
    e.holdListenerErrors();
    e.holdListenerErrors();
    e.emit("ping", { n: 1 });
    e.releaseListenerErrors();
    expect(() => e.releaseListenerErrors()).toThrow("held");
    expect(() => e.releaseListenerErrors()).toThrow(/without a holdListenerErrors/);
    expect(() => e.emit("ping", { n: 2 })).toThrow("held");
  });
});
