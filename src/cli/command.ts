// One verb of the command line. Verbs write through `io` so tests run them in
// process and read what they print.
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text, printed by `cfgvirt VERB --help`. */
  readonly help: string;
  run(args: string[], io: Io): Promise<number> | number;
}

/** A usage mistake: printed with the verb's usage line, exit status 1. */
export class UsageError extends Error {}
