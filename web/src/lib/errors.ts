export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** An earlier attempt of this request, in another region, got no answer. */
    readonly afterUnanswered = false,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The request never got an answer from a region (network down, front door had no healthy region). */
export class NetworkError extends Error {
  constructor(message = "The bookstore cannot be reached right now.") {
    super(message);
    this.name = "NetworkError";
  }
}

export const isRetryable = (error: unknown) =>
  error instanceof NetworkError || (error instanceof ApiError && error.status >= 500);

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError) return error.message;
  return "Something went wrong. Please try again.";
}
