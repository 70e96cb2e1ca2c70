// A layout's registers with the `when` tree flattened, and field paths
// resolved to registers: what the validate and lower stages both read.
import { error, type Diagnostic } from "../../diag/diagnostic.js";
import { didYouMean, suggestionHelp } from "../../diag/suggest.js";
import type * as A from "../../syntax/ast.js";
import { registersOf } from "../syntax-walk.js";

export interface RegisterScope {
  readonly register: A.Register;
  /** Index into LayoutScopes.guards; -1 when the register is always present. */
  readonly guard: number;
  /** when-arms this register sits in: two registers in different arms of one `when` never coexist. */
  readonly arms: ReadonlyMap<A.When, number>;
}

export interface LayoutScopes {
  readonly scopes: readonly RegisterScope[];
  /** Each `when` arm's combined guard (its enclosing arms' guards and'ed in). */
  readonly guards: readonly A.Guard[];
  readonly registersByName: ReadonlyMap<string, readonly RegisterScope[]>;
}

export function coexist(a: RegisterScope, b: RegisterScope): boolean {
  for (const [when, arm] of a.arms) {
    const other = b.arms.get(when);
    if (other !== undefined && other !== arm) return false;
  }
  return true;
}

/** Flatten the when-tree into registers with a combined guard each. */
export function layoutScopes(layout: A.Layout): LayoutScopes {
  const scopes: RegisterScope[] = [];
  const guards: A.Guard[] = [];
  const walk = (body: readonly A.LayoutStmt[], guard: number, arms: Map<A.When, number>, guardNode: A.Guard | undefined) => {
    for (const stmt of body) {
      if (stmt.kind === "register") {
        scopes.push({ register: stmt, guard, arms });
        continue;
      }
      const thenNode: A.Guard = guardNode ? { kind: "and", operands: [guardNode, stmt.guard], span: stmt.guard.span } : stmt.guard;
      const notThis: A.Guard = { kind: "not", operand: stmt.guard, span: stmt.guard.span };
      const elseNode: A.Guard = guardNode ? { kind: "and", operands: [guardNode, notThis], span: stmt.guard.span } : notThis;
      guards.push(thenNode);
      walk(stmt.then, guards.length - 1, new Map([...arms, [stmt, 0]]), thenNode);
      if (stmt.otherwise.length > 0) {
        guards.push(elseNode);
        walk(stmt.otherwise, guards.length - 1, new Map([...arms, [stmt, 1]]), elseNode);
      }
    }
  };
  walk(layout.body, -1, new Map(), undefined);
  const registersByName = new Map<string, RegisterScope[]>();
  for (const s of scopes) {
    const list = registersByName.get(s.register.name.name) ?? [];
    list.push(s);
    registersByName.set(s.register.name.name, list);
  }
  return { scopes, guards, registersByName };
}

export interface ResolvedField {
  readonly reg: A.Register;
  readonly field: A.Field;
  /** Another layout the field belongs to (`pcie.flags.device_type`). */
  readonly layout?: string;
}

/**
 * REGISTER.FIELD of the layout itself, or LAYOUT.REGISTER.FIELD of another:
 * the field, or the error that says why the path names none (with a suggestion).
 */
export function resolveFieldPath(path: A.FieldPath, what: string, layout: A.Layout, scopes: LayoutScopes, others: ReadonlyMap<string, A.Layout>): ResolvedField | Diagnostic {
  if (path.parts.length === 3 && path.parts[0].name !== layout.name.name) return resolveElsewhere(path, what, others);
  const parts = path.parts.length === 3 ? path.parts.slice(1) : path.parts;
  const [regName, fieldName] = parts.map((p) => p.name);
  const regs = scopes.registersByName.get(regName);
  if (!regs || parts.length !== 2) {
    const candidates = [...scopes.registersByName.keys()].join(", ");
    return error("E110", `${what} \`${path.parts.map((p) => p.name).join(".")}\` names no register.field of ${layout.name.name}`, path.span,
      (parts.length === 2 && didYouMean(regName, scopes.registersByName.keys())) || `write REGISTER.FIELD; registers here: ${candidates}`);
  }
  const reg = regs[0].register;
  const field = reg.fields.find((f) => f.name === fieldName);
  if (!field) {
    const names = reg.fields.flatMap((f) => (f.name ? [f.name] : []));
    return error("E110", `register \`${regName}\` has no field \`${fieldName}\``, parts[1].span, suggestionHelp(fieldName, names, `fields of ${regName}`));
  }
  return { reg, field };
}

function resolveElsewhere(path: A.FieldPath, what: string, others: ReadonlyMap<string, A.Layout>): ResolvedField | Diagnostic {
  const [l, r, f] = path.parts;
  const other = others.get(l.name);
  const reg = other ? registersOf(other.body).find((x) => x.name.name === r.name) : undefined;
  const field = reg?.fields.find((x) => x.name === f.name);
  if (!other || !reg || !field) {
    const at = !other ? l : !reg ? r : f;
    const candidates = !other ? [...others.keys()] : !reg ? [...new Set(registersOf(other.body).map((x) => x.name.name))] : reg.fields.flatMap((x) => (x.name ? [x.name] : []));
    return error("E110", `${what} \`${path.parts.map((p) => p.name).join(".")}\` names no field of another layout`, at.span,
      suggestionHelp(at.name, candidates, !other ? "layouts" : !reg ? `registers of ${l.name}` : `fields of ${r.name}`));
  }
  return { reg, field, layout: l.name };
}

export const isResolved = (r: ResolvedField | Diagnostic): r is ResolvedField => "reg" in r;
