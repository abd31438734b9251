/** The API's error type: the JSON error handler in app.ts turns it into {error, message, field?}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
