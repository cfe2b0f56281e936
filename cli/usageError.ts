import { SsprError } from "../shared/core/errors.js";

/** A command was called wrongly or its input cannot be read; the CLI prints the message alone and exits 2. */
export class UsageError extends SsprError {}
