// The platform's own functions (the host bridge and the root ports) are the
// same fixed images in every Machine: their tables are attached once per
// process and shared, as identical plugged devices share theirs within a
// Machine. Shared tables are never modified; each function keeps its own state.
import { TableCache } from "../runtime/table-cache.js";

export const platformTables = new TableCache();
