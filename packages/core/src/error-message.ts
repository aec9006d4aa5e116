/**
 * What a caught value says, for a log line or a message: an Error's message, anything else thrown (a string, a
 * number, an object) as text. `catch (err)` gives `unknown`: this is the one way to read it.
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The same with the stack when there is one: for a failure nobody foresaw, where the place matters. */
export function errorWithStack(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
