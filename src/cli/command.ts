// One verb of the command line. Verbs write through `io` so tests run them in
// process and read what they print.
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr may carry colour (a terminal, NO_COLOR unset). Absent: no colour. */
  readonly color?: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text, printed by `cfgvirt VERB --help`. */
  readonly help: string;
  run(args: string[], io: Io): Promise<number> | number;
}

/** A usage mistake: printed with the verb's usage line, exit status 2. */
export class UsageError extends Error {}

/** Exit statuses, as documented in `cfgvirt --help` and README. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;
