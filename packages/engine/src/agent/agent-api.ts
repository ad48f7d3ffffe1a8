/** Thrown for an answer that is not 2xx: the status tells a refusal (403), a lost lease (409) and the rest apart. */
export class AgentApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface AgentApiOptions {
  /** The server's base URL, e.g. https://gantry.example.com */
  server: string;
  /** The agent key; sent as a bearer token, never logged. */
  token: string;
  /** A request that has no answer after this long fails (and is retried by its caller). */
  timeoutMs?: number;
}

/**
 * The agent's HTTP client of the server's `/api/v1/agent/...` routes: JSON in and out, the key in the
 * Authorization header, a timeout on every request. A dropped connection or a timeout throws a plain
 * Error; an answer that is not 2xx throws AgentApiError with the server's message.
 */
export class AgentApi {
  readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: AgentApiOptions) {
    this.base = new URL(options.server.endsWith("/") ? options.server : `${options.server}/`);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The URL of an agent route, e.g. `claim` → https://host/api/v1/agent/claim. */
  url(route: string, protocol?: "ws"): URL {
    const url = new URL(`api/v1/agent/${route}`, this.base);
    if (protocol === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url;
  }

  get authorization(): string {
    return `Bearer ${this.options.token}`;
  }

  get<T>(route: string, timeoutMs = this.timeoutMs, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", route, undefined, timeoutMs, signal);
  }

  post<T>(route: string, body: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    return this.request<T>("POST", route, body, timeoutMs);
  }

  /**
   * A POST retried while the server is unreachable (a plain Error), never after it answered: for what a
   * step needs before it starts (its secrets, its action bundles), so that a short network drop delays
   * the step instead of failing it. `tries` requests at most, 250 ms doubling between them.
   */
  async postRetrying<T>(route: string, body: unknown, tries = 6): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.post<T>(route, body);
      } catch (error) {
        if (error instanceof AgentApiError || attempt >= tries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
      }
    }
  }

  private async request<T>(
    method: string,
    route: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<T> {
    const url = this.url(route);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: this.authorization,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      throw new Error(
        `${method} ${url.pathname}: server unreachable (${cause?.message ?? (error as Error).message})`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: the text itself
      }
      throw new AgentApiError(`${method} ${url.pathname}: ${response.status} ${message}`, response.status);
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }
}
