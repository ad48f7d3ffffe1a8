/**
 * `strategy:` on a DAG node: one leg per combination of the matrix's axes, as GitHub Actions builds
 * them (exclude first, then include). `matrix` may be an expression giving such a map.
 */
export interface StrategySpec {
  matrix: MatrixSpec | string;
  /** Default true: after a leg fails, legs not yet started are cancelled. */
  fail_fast?: boolean | string;
  /** How many legs run at once (default: all). */
  max_parallel?: number;
}

export type MatrixSpec = Record<string, unknown> & {
  include?: Array<Record<string, unknown>>;
  exclude?: Array<Record<string, unknown>>;
};

/** A service container of a docker job: started before the job on a network shared with it. */
export interface ServiceSpec {
  image: string;
  env?: Record<string, string | number | boolean | null>;
  /** `host:container` or `container` ports to publish on the engine's host. */
  ports?: Array<string | number>;
  /** More `docker create` options: --health-cmd, --health-interval, --health-retries, --health-timeout, --health-start-period. */
  options?: string;
  /** The command (CMD) of the image, as a list of arguments. */
  command?: string[];
}
