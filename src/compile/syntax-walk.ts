// Small walks over the syntax tree shared by the compiler's stages.
import type * as A from "../syntax/ast.js";

/** Every register of a layout body, in every arm of every `when`. */
export function registersOf(body: readonly A.LayoutStmt[]): A.Register[] {
  return body.flatMap((s) => (s.kind === "register" ? [s] : [...registersOf(s.then), ...registersOf(s.otherwise)]));
}
