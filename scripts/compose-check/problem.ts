/** A problem found by a deployment check, printed as one line. */
export interface Problem {
  /** File the problem is in, relative to the repo root. */
  file: string;
  /** Where in the file, e.g. `services.worker.environment`. */
  where?: string;
  message: string;
  /** Extra output (e.g. promtool's), printed after the problem lines. */
  detail?: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.where ? `${p.where}: ` : ''}${p.message}`;
}
