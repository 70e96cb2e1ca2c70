// A layout's checks and its template depend on its syntax tree and on the other
// layouts its guards and sizes name, nothing else. The trees of unchanged files
// are the same objects from one compile to the next (the parse memo, the saved
// trees), so a process that compiles the standard library again with other
// files (the language server on every edit, fuzzed device files, the tests)
// validates and lowers each unchanged layout once.
//
// What a layout looks up among the others is recorded, and its result is reused
// only while every lookup finds the same layout again. A result that listed the
// others (a diagnostic's suggestions name them all) is never reused.
import type { Diagnostic } from "../diag/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { lowerLayout } from "./lower/layout.js";
import type { Template } from "./template.js";
import { validateCapabilityHeader } from "./validate/capability-header.js";
import { validateLayout } from "./validate/layout.js";

export interface LayoutStages {
  readonly diagnostics: readonly Diagnostic[];
  readonly template: Template;
}

interface Reusable extends LayoutStages {
  readonly lookups: ReadonlyMap<string, A.Layout | undefined>;
}

const done = new WeakMap<A.Layout, Reusable>();

/** Validate and lower one layout (no device-file overrides) among `layoutsByName`. */
export function validateAndLower(layout: A.Layout, layoutsByName: ReadonlyMap<string, A.Layout>): LayoutStages {
  const before = done.get(layout);
  if (before && [...before.lookups].every(([name, found]) => layoutsByName.get(name) === found)) return before;
  const others = new RecordedLookups(layoutsByName);
  const diagnostics = [...validateCapabilityHeader(layout), ...validateLayout(layout, new Map(), others)];
  const template = lowerLayout(layout, new Map(), others);
  const result = { diagnostics, template, lookups: others.found };
  if (others.listed) done.delete(layout);
  else done.set(layout, result);
  return result;
}

/** The layouts by name, noting each name looked up and whether the whole map was listed. */
class RecordedLookups implements ReadonlyMap<string, A.Layout> {
  readonly found = new Map<string, A.Layout | undefined>();
  listed = false;
  constructor(private readonly all: ReadonlyMap<string, A.Layout>) {}
  get(name: string): A.Layout | undefined {
    const layout = this.all.get(name);
    this.found.set(name, layout);
    return layout;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  get size(): number {
    this.listed = true;
    return this.all.size;
  }
  keys(): MapIterator<string> {
    this.listed = true;
    return this.all.keys();
  }
  values(): MapIterator<A.Layout> {
    this.listed = true;
    return this.all.values();
  }
  entries(): MapIterator<[string, A.Layout]> {
    this.listed = true;
    return this.all.entries();
  }
  [Symbol.iterator](): MapIterator<[string, A.Layout]> {
    return this.entries();
  }
  forEach(fn: (layout: A.Layout, name: string, map: ReadonlyMap<string, A.Layout>) => void): void {
    this.listed = true;
    this.all.forEach((layout, name) => fn(layout, name, this));
  }
}
