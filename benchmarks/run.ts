/*
 * npm run bench [-- --full] [-- --only=pages,place,webhooks,scale,rss,console,cluster,dev]
 *               [-- --seconds=5 --runs=1 --connections=50 --orders=1k,100k,1m --write]
 *               [-- --skip-build: reuse build/ as it is]
 *               [-- --profile: a CPU profile of the production build per page instead,
 *                   summarised; with --write, into benchmarks/PROFILES.md]
 *
 * Builds the app, starts the production build against its own database and
 * Stripe sandbox (STRIPE_SANDBOX_IN_PRODUCTION=benchmark), seeds it, measures
 * each figure of issue 18 at a fixed number of connections with 1 and 2 HTTP
 * processes (and one `jobs:work` worker), the development server for the same
 * pages, then prints one table as ratios to the static file measured in the
 * same run. --write puts it in benchmarks/RESULTS.md.
 */
import { execSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  commandTime,
  type LoadOptions,
  page,
  placeOrders,
  signInMany,
  statementCost,
  webhookBurst,
} from './measure.js'
import { CONTRACTOR, EMPLOYER, growOrders, PASSWORD, SCALE_EMPLOYER, seed } from './seed.js'
import {
  appEnvironment,
  BUILD,
  buildApp,
  developmentEnvironment,
  freePort,
  freshDatabase,
  ROOT,
  rssMb,
  type Running,
  startDevelopment,
  startMailSink,
  startProduction,
  startSandbox,
  startWorker,
} from './servers.js'
import type { Session } from './measure.js'
import { exactlyOnce, type Figures, formatTable, type Row } from './table.js'
import { formatSummary, summarize } from './profile.js'

const ALL = ['pages', 'place', 'webhooks', 'scale', 'rss', 'console', 'cluster', 'dev'] as const
const { values: flags } = parseArgs({
  options: {
    'full': { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    'write': { type: 'boolean', default: false },
    'profile': { type: 'boolean', default: false },
    'only': { type: 'string' },
    'seconds': { type: 'string' },
    'runs': { type: 'string' },
    'connections': { type: 'string', default: '50' },
    'sessions': { type: 'string', default: '10' },
    'orders': { type: 'string' },
  },
})
const only = new Set(flags.only ? flags.only.split(',') : ALL)
const wants = (name: (typeof ALL)[number]) => only.has(name)
const seconds = Number(flags.seconds ?? (flags.full ? 20 : 5))
const runs = Number(flags.runs ?? (flags.full ? 3 : 1))
const connections = Number(flags.connections)
const sessionCount = Number(flags.sessions)
const scaleSteps = (flags.orders ?? (flags.full ? '1k,100k,1m' : '1k,100k'))
  .split(',')
  .map((step) => Number(step.toLowerCase().replace('k', '000').replace('m', '000000')))

const startedAt = new Date()
const log = (line: string) =>
  console.error(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)}s] ${line}`)
const loads: number[] = []
const noteLoad = () => loads.push(loadavg()[0])

/** The other processes using the CPU as the run starts (the figures share the machine) */
function busyProcesses() {
  try {
    return execSync('ps -eo pcpu,comm --sort=-pcpu --no-headers', { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([cpu]) => Number(cpu) >= 5)
      .slice(0, 6)
      .map(([cpu, command]) => `${command} ${cpu}%`)
      .join(', ')
  } catch {
    return 'unknown'
  }
}

const rows: Row[] = []
const cleanups: Array<() => Promise<void>> = []
const appPort = await freePort()
const base = `http://127.0.0.1:${appPort}`
const options: LoadOptions = { base, connections, seconds, runs }
const PAGES = ['home', 'services', 'orders', 'order', 'balance'] as const

async function main() {
  const commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim()
  const dirty = execSync('git status --porcelain', { cwd: ROOT, encoding: 'utf8' }).trim()
  const busy = busyProcesses()
  noteLoad()

  if (!flags['skip-build']) {
    log('building (node ace build)')
    await buildApp()
  }
  log('database, sandbox, mail sink')
  const database = await freshDatabase()
  cleanups.push(() => database.stop())
  const webhookSecret = `whsec_bench_${randomBytes(16).toString('hex')}`
  const sandbox = await startSandbox(appPort, webhookSecret)
  cleanups.push(() => sandbox.stop())
  const mail = await startMailSink()
  cleanups.push(() => mail.stop())
  const env = appEnvironment({
    port: appPort,
    databaseUrl: database.url,
    sandboxUrl: sandbox.url,
    webhookSecret,
    smtpPort: mail.port,
  })
  log('seeding: migrations and the demo marketplace through the app and the sandbox')
  const seeded = await seed(env, database.url)
  const profileDirectory = join(ROOT, 'tmp', 'bench', 'profiles')
  rmSync(profileDirectory, { recursive: true, force: true })
  mkdirSync(profileDirectory, { recursive: true })
  // Profiling: the worker too, so the burst's drain shows where a job's time goes
  const worker = await startWorker(
    env,
    flags.profile
      ? `--cpu-prof --cpu-prof-dir=${profileDirectory} --cpu-prof-name=worker.cpuprofile`
      : undefined
  )
  cleanups.push(() => worker.stop())

  const paths: Record<(typeof PAGES)[number], string> = {
    home: '/',
    services: '/services',
    orders: '/orders',
    order: `/orders/${seeded.orderId}`,
    balance: '/balance',
  }
  const labels: Record<(typeof PAGES)[number], string> = {
    home: 'home `/` (employer)',
    services: '`/services` (guest)',
    orders: 'employer `/orders`',
    order: '`/orders/:id` (employer)',
    balance: 'contractor `/balance`',
  }

  // Sessions live in the database: signed in once, they serve every server of the run
  let employer: Session[] = []
  let contractor: Session[] = []
  const signInAll = async () => {
    if (employer.length === 0) {
      log(`signing in ${sessionCount} sessions of the employer and of the contractor`)
      employer = await signInMany(base, EMPLOYER, PASSWORD, sessionCount)
      contractor = await signInMany(base, CONTRACTOR, PASSWORD, sessionCount)
    }
  }

  /** The static file and each page, on the server running now */
  async function pages(section: string, baseline?: number) {
    noteLoad()
    await signInAll()
    log(`${section}: static file`)
    const staticFigures = await page(options, '/css/app.css')
    rows.push({
      section,
      what: 'static file `/css/app.css`',
      figures: staticFigures,
      ratioTo: baseline ?? staticFigures.rps,
    })
    if (wants('pages')) {
      for (const name of PAGES) {
        log(`${section}: ${name}`)
        const session = name === 'services' ? undefined : name === 'balance' ? contractor : employer
        const figures = await page(options, paths[name], session)
        rows.push({ section, what: labels[name], figures, ratioTo: staticFigures.rps })
      }
    }
    return staticFigures.rps
  }

  async function writes(section: string, staticRps: number) {
    if (wants('place')) {
      log(`${section}: placing orders`)
      const { figures, placed, answered } = await placeOrders(
        options,
        employer,
        seeded.serviceId,
        database.url
      )
      rows.push({
        section,
        what: `placing an order end to end (\`POST /orders\`, ${connections} concurrent)`,
        figures,
        ratioTo: staticRps,
        note: `${placed} orders in the database, ${answered} redirected to their page`,
      })
    }
    if (wants('webhooks')) {
      log(`${section}: webhook burst`)
      const { figures, outcome, drainedIn } = await webhookBurst({
        ...options,
        secret: webhookSecret,
        paymentIntents: seeded.paymentIntents,
        databaseUrl: database.url,
        drainSeconds: flags.full ? 300 : 120,
      })
      rows.push({
        section,
        what: 'webhook intake, signed (duplicates, unknown objects)',
        figures,
        ratioTo: staticRps,
        note:
          outcome.applied === outcome.storedRows
            ? `${exactlyOnce(outcome).why}; all applied ${drainedIn.toFixed(0)} s after the burst`
            : `${exactlyOnce(outcome).why}; after waiting ${drainedIn.toFixed(0)} s for the worker`,
      })
    }
  }

  const production = async (
    processes: number,
    body: (app: Running) => Promise<void>,
    nodeOptions?: string
  ) => {
    log(`starting the production build, ${processes} HTTP process(es)`)
    const app = await startProduction(
      nodeOptions ? { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${nodeOptions}` } : env,
      processes
    )
    try {
      await body(app)
    } finally {
      await app.stop()
    }
  }

  if (flags.profile) {
    const workerApplied: { events?: number; seconds?: number } = {}
    // Sessions live in the database: signed in on the first server, they serve the others
    const sessions = async () => {
      await signInAll()
      return { employer, contractor }
    }
    const targets: ProfileTarget[] = [
      ...PAGES.map((name) => ({
        name,
        label: labels[name],
        measure: async (profiled: LoadOptions) => {
          const signedIn = await sessions()
          const session =
            name === 'services'
              ? undefined
              : name === 'balance'
                ? signedIn.contractor
                : signedIn.employer
          return page(profiled, paths[name], session)
        },
      })),
      {
        name: 'place',
        label: `placing an order (\`POST /orders\`, ${connections} concurrent)`,
        measure: async (profiled: LoadOptions) => {
          const signedIn = await sessions()
          const placed = await placeOrders(
            profiled,
            signedIn.employer,
            seeded.serviceId,
            database.url
          )
          return placed.figures
        },
      },
      {
        name: 'webhooks',
        label: 'webhook intake, signed',
        measure: async (profiled: LoadOptions) => {
          const burst = await webhookBurst({
            ...profiled,
            secret: webhookSecret,
            paymentIntents: seeded.paymentIntents,
            databaseUrl: database.url,
            drainSeconds: 120,
          })
          const drained = burst.outcome.applied === burst.outcome.storedRows
          log(
            `the worker applied ${burst.outcome.applied} of ${burst.outcome.storedRows} stored events ` +
              `in ${burst.drainedIn.toFixed(0)} s${drained ? '' : ' (not all)'}`
          )
          // Its profile is written when it exits
          await worker.stop()
          workerApplied.events = burst.outcome.applied
          workerApplied.seconds = burst.drainedIn
          return burst.figures
        },
      },
    ].filter((target) =>
      target.name === 'place'
        ? wants('place')
        : target.name === 'webhooks'
          ? wants('webhooks')
          : wants('pages')
    )
    let report = await profiles(production, targets, commit)
    if (workerApplied.events !== undefined && workerApplied.seconds !== undefined) {
      const profile = JSON.parse(readFileSync(join(profileDirectory, 'worker.cpuprofile'), 'utf8'))
      report += `\n${formatSummary(
        `the job worker (\`node ace jobs:work\`), its whole run: the burst's ${workerApplied.events} events applied ${workerApplied.seconds.toFixed(0)} s after it ended, and the placed orders' webhooks and mail before (CPU per request: per burst event)`,
        summarize(profile, 15),
        workerApplied.events
      )}`
    }
    console.log(report)
    return report
  }

  let baseline = 0
  await production(1, async (app) => {
    const section = 'production, 1 process'
    const staticRps = await pages(section)
    baseline = staticRps
    if (wants('pages')) {
      // What each statement of a page costs before any framework work (see RESULTS.md)
      noteLoad()
      const cost = await statementCost(database.url)
      rows.push({
        section,
        what: 'one primary-key `SELECT` with `pg` alone, 10 at a time (in the bench process)',
        note: `${cost.cpuMicros.toFixed(0)} µs of CPU per statement, ${cost.perSecond.toFixed(0)} statements/s`,
      })
    }
    await writes(section, staticRps)
    if (wants('rss')) {
      log(`${section}: memory over three rounds of mixed load`)
      const mixed = { ...options, connections: Math.ceil(connections / 5), runs: 1 }
      const samples = [rssMb(app.pid)]
      for (let round = 0; round < 3; round++) {
        noteLoad()
        await Promise.all(
          PAGES.map((name) =>
            page(
              mixed,
              paths[name],
              name === 'balance' ? contractor : name === 'services' ? undefined : employer
            )
          )
        )
        samples.push(rssMb(app.pid))
      }
      rows.push({
        section,
        what: 'server RSS, three rounds of mixed load (all pages at once)',
        note: `${samples.map((mb) => mb.toFixed(0)).join(' → ')} MB`,
      })
    }
  })

  if (wants('cluster')) {
    await production(2, async () => {
      const section = 'production, 2 processes (WEB_CONCURRENCY=2) + 1 worker'
      const staticRps = await pages(section, baseline)
      await writes(section, staticRps)
    })
  }

  if (wants('dev')) {
    log('starting the development server (node ace serve, no HMR)')
    const dev = await startDevelopment(env)
    try {
      await pages('development (`node ace serve`)', baseline)
    } finally {
      await dev.stop()
    }
  }

  if (wants('console')) {
    const development = developmentEnvironment(env)
    const times = runs === 1 ? 1 : 3
    const commands: Array<[string, string[], string, NodeJS.ProcessEnv]> = [
      [
        '`node ace orders:show <id>`, from the build',
        ['ace.js', 'orders:show', String(seeded.orderId)],
        BUILD,
        env,
      ],
      ['`node ace list`, from the build', ['ace.js', 'list'], BUILD, env],
      [
        '`node ace orders:show <id>`, from source',
        ['ace', 'orders:show', String(seeded.orderId)],
        ROOT,
        development,
      ],
      ['`node ace list`, from source', ['ace', 'list'], ROOT, development],
    ]
    for (const [what, args, cwd, commandEnv] of commands) {
      log(`console: ${what}`)
      const ms = await commandTime(args, cwd, commandEnv, times)
      rows.push({
        section: `console (whole process${times > 1 ? ', median of 3' : ''})`,
        what,
        note: `${ms.toFixed(0)} ms`,
      })
    }
  }

  // Last, with the worker stopped: the copied orders' PaymentIntents are not in the sandbox,
  // and the scheduled reconcile would spend the run reading each of them from it
  if (wants('scale')) {
    await worker.stop()
    await production(1, async () => {
      const section = 'production, 1 process, orders at scale'
      const staticRps = baseline
      const scaleRows: Row[] = []
      const scaleEmployer = await signInMany(base, SCALE_EMPLOYER, PASSWORD, sessionCount)
      for (const total of scaleSteps) {
        noteLoad()
        const began = Date.now()
        await growOrders(database.url, seeded, total)
        log(
          `${section}: /orders with ${total} orders (seeded in ${((Date.now() - began) / 1000).toFixed(0)} s)`
        )
        const figures = await page(options, '/orders', scaleEmployer)
        scaleRows.push({
          section,
          what: `employer \`/orders\`, first page, ${total.toLocaleString('en-US')} orders`,
          figures,
          ratioTo: staticRps,
        })
      }
      const first = scaleRows[0]?.figures
      const last = scaleRows.at(-1)?.figures
      if (first && last && first.rps > 0 && last.rps > 0 && scaleRows.length > 1) {
        scaleRows.at(-1)!.note =
          `p50 ${(last.p50 / Math.max(first.p50, 1)).toFixed(1)}× the first step's`
      }
      rows.push(...scaleRows)
    })
  }

  const duration = (Date.now() - startedAt.getTime()) / 1000
  const report = [
    `Run ${startedAt.toISOString()} on commit ${commit}${dirty ? ' (with uncommitted changes)' : ''}, ` +
      `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}.`,
    `Each figure: ${connections} connections, ${runs === 1 ? 'one run' : `median of ${runs} runs`} of ${seconds} s after 2 s of warm-up (autocannon). ` +
      `Database: ${database.source}. The whole run took ${(duration / 60).toFixed(1)} min.`,
    `Machine load (1-min average) before the measurements: ${loads.map((value) => value.toFixed(2)).join(', ')}; ` +
      `busy processes as it started: ${busy || 'none over 5%'}.`,
    '',
    formatTable(rows, baseline),
  ].join('\n')
  console.log(report)
  return report
}

/**
 * One production server per page, under `node --cpu-prof`, loaded as in the
 * table; each profile summarised (where the CPU time of that page goes).
 */
interface ProfileTarget {
  name: string
  label: string
  measure: (options: LoadOptions) => Promise<Figures>
}

/**
 * One production server per target, under `node --cpu-prof`, loaded as in the
 * table; each profile summarised over the measured run (where its CPU goes).
 */
async function profiles(
  production: (
    processes: number,
    body: (app: Running) => Promise<void>,
    nodeOptions?: string
  ) => Promise<void>,
  targets: ProfileTarget[],
  commit: string
) {
  const directory = join(ROOT, 'tmp', 'bench', 'profiles')
  const sections: string[] = [
    `Profiled ${new Date().toISOString()} on commit ${commit}: the production build, one process, ` +
      `${connections} connections for ${seconds} s after 2 s of warm-up, under \`node --cpu-prof\` ` +
      '(which slows it somewhat). Shares are of the busy (non-idle) time of the measured run ' +
      '(boot and warm-up left out), which includes the job queue and anything else the process did.',
    '',
  ]
  for (const target of targets) {
    const file = `${target.name}.cpuprofile`
    let rps = 0
    const spawned = Date.now()
    const window = { fromMs: 0, toMs: 0 }
    const onMeasured = (phase: 'start' | 'end') => {
      window[phase === 'start' ? 'fromMs' : 'toMs'] = Date.now() - spawned
    }
    noteLoad()
    await production(
      1,
      async () => {
        log(`profiling ${target.name}`)
        const figures = await target.measure({ ...options, runs: 1, onMeasured })
        rps = figures.rps
      },
      `--cpu-prof --cpu-prof-dir=${directory} --cpu-prof-name=${file}`
    )
    const profile = JSON.parse(readFileSync(join(directory, file), 'utf8'))
    const summary = summarize(profile, 15, window)
    sections.push(
      formatSummary(
        `${target.label}: ${rps.toFixed(0)} req/s under the profiler`,
        summary,
        Math.round(rps * seconds)
      )
    )
  }
  return sections.join('\n')
}

try {
  const report = await main()
  if (flags.write && flags.profile) {
    writeFileSync(
      join(ROOT, 'benchmarks', 'PROFILES.md'),
      `# CPU profiles: pages, placing orders, webhook intake, the job worker\n\n${report}\n`
    )
  } else if (flags.write) {
    writeResults(report)
  }
} finally {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error) => console.error(error))
  }
}

function writeResults(report: string) {
  const header = `# Benchmark results

Written by \`npm run bench -- --write\` (see the README's "Benchmarks"). Rates are
requests (or orders, or events) answered per second; each is also given as a share of the
static file's rate on the same server in the same run ("ratio to static"), which is what
to compare across machines and runs. Rows of the 2-process and development sections give
their own static file as a share of the 1-process one.

`
  writeFileSync(join(ROOT, 'benchmarks', 'RESULTS.md'), `${header}${report}\n`)
  log('written to benchmarks/RESULTS.md')
}
