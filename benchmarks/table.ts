/*
 * The pure parts of the benchmark: medians, the table of figures as ratios to
 * the static route measured in the same run, and the exactly-once verdict.
 */

/** One load test's figures (a median over the runs) */
export interface Figures {
  rps: number
  p50: number
  p99: number
  errors: number
  /** shares of the whole machine's CPU during the run: all of it, and the load generator's */
  cpu?: { machine: number; loadGenerator: number }
}

/** One row of the table: a figure, or a note when the row is not a rate */
export interface Row {
  section: string
  what: string
  figures?: Figures
  /** `figures` as a share of this rate (default: the static route's) */
  ratioTo?: number
  note?: string
}

export function median(values: number[]): number {
  if (values.length === 0) {
    return Number.NaN
  }
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** The median of each figure over several runs */
export function medianFigures(runs: Figures[]): Figures {
  const figures: Figures = {
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: median(runs.map((run) => run.errors)),
  }
  if (runs.length > 0 && runs.every((run) => run.cpu)) {
    figures.cpu = {
      machine: median(runs.map((run) => run.cpu!.machine)),
      loadGenerator: median(runs.map((run) => run.cpu!.loadGenerator)),
    }
  }
  return figures
}

const thousands = (value: number) => Math.round(value).toLocaleString('en-US')
const wholePercent = (share: number) => `${Math.round(share * 100)}%`

export function ratio(value: number, base: number): string {
  if (!(base > 0) || !Number.isFinite(value)) {
    return '—'
  }
  const percent = (value / base) * 100
  return `${percent >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%`
}

export function formatFigures(figures: Figures): string {
  if (!(figures.rps > 0)) {
    return 'no answer within the run'
  }
  const errors = figures.errors > 0 ? `, ${thousands(figures.errors)} errors` : ''
  const cpu = figures.cpu
    ? `; CPU ${wholePercent(figures.cpu.machine)} of the machine, autocannon ${wholePercent(figures.cpu.loadGenerator)}`
    : ''
  return `${thousands(figures.rps)} req/s, p50 ${thousands(figures.p50)} ms, p99 ${thousands(figures.p99)} ms${errors}${cpu}`
}

/** A markdown table: each rate with its share of the static route's rate */
export function formatTable(rows: Row[], staticRps: number): string {
  const lines = ['| section | what | figures | ratio to static |', '|---|---|---|---|']
  for (const row of rows) {
    const figures = row.figures ? formatFigures(row.figures) : ''
    const note = row.note ? (figures ? `${figures}; ${row.note}` : row.note) : figures
    const share = row.figures ? ratio(row.figures.rps, row.ratioTo ?? staticRps) : ''
    lines.push(`| ${row.section} | ${row.what} | ${note} | ${share} |`)
  }
  return lines.join('\n')
}

/** What the webhook burst stored and applied, against what was sent */
export interface WebhookOutcome {
  /** distinct event ids the app acknowledged (200) */
  acknowledged: number
  /** of those, how many have a stored row */
  stored: number
  /** stored rows of this burst (any id sent) */
  storedRows: number
  /** distinct event ids sent */
  sent: number
  /** stored rows the job queue applied (processed_at set) */
  applied: number
  /** stored rows applied more than once (attempts > 1) or with more than one job */
  appliedTwice: number
}

/** Exactly once: every acknowledged id stored once, none stored twice, each applied once */
export function exactlyOnce(outcome: WebhookOutcome): { ok: boolean; why: string } {
  const problems: string[] = []
  if (outcome.stored !== outcome.acknowledged) {
    problems.push(`${outcome.acknowledged - outcome.stored} acknowledged events not stored`)
  }
  if (outcome.storedRows > outcome.sent) {
    problems.push(`${outcome.storedRows - outcome.sent} events stored twice`)
  }
  if (outcome.applied !== outcome.storedRows) {
    problems.push(`${outcome.storedRows - outcome.applied} stored events not applied (yet)`)
  }
  if (outcome.appliedTwice > 0) {
    problems.push(`${outcome.appliedTwice} events applied more than once`)
  }
  const summary = `${outcome.sent} distinct ids sent, ${outcome.acknowledged} acknowledged, ${outcome.storedRows} stored, ${outcome.applied} applied`
  return problems.length
    ? { ok: false, why: `NOT exactly once: ${problems.join(', ')} (${summary})` }
    : { ok: true, why: `exactly once (${summary})` }
}
