/** A bad command line: the CLI prints its message on one line and exits 2, as commander's own errors do. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A command that ran but failed (a validation error from the service, an unknown id): exit 1. */
export class CommandFailure extends Error {
  override readonly name = "CommandFailure";
}
