/*
 * Reads a V8 CPU profile (node --cpu-prof) and says where the time went:
 * self time by package (or app folder), the functions with the most self time,
 * and the functions with the most inclusive time (each counted once per sample,
 * whatever the recursion). Used by `npm run bench -- --profile`; also runs alone:
 *
 *   node --import=@poppinss/ts-exec benchmarks/profile.ts tmp/bench/profiles/home.cpuprofile
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  /** sampled milliseconds, idle left out */
  busyMs: number
  idleMs: number
  /** self time by kind of work (CATEGORIES) */
  byCategory: Array<[string, number]>
  byPackage: Array<[string, number]>
  selfTop: Array<[string, number]>
  inclusiveTop: Array<[string, number]>
}

/** node_modules/<package>, app/<folder>, node:<module>, or a V8 pseudo-frame */
function packageOf(url: string, functionName: string): string {
  if (!url) {
    return functionName.startsWith('(') ? functionName : '(native)'
  }
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const parts = url.slice(modules + 14).split('/')
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  if (url.startsWith('node:')) {
    return 'node (runtime)'
  }
  const app = /\/(app|start|config|resources|stripe_sandbox|infra|providers)\/([^/]+)/.exec(url)
  if (app) {
    return app[2].includes('.') ? app[1] : `${app[1]}/${app[2]}`
  }
  return url.replace(/^file:\/\//, '')
}

const DATABASE = 'statements: ORM, query builder, driver, pool (Lucid, knex, pg, tarn)'
const SOCKETS = 'socket writes (writev: each statement, each response)'
const FRAMEWORK = 'framework: HTTP, middleware, container, cookies, session, auth, CSRF'
const RUNTIME = 'Node runtime, promises, garbage collector'
/** The kind of work a package's time is: what the summary's first table adds up */
function categoryOf(pkg: string, functionName: string): string {
  if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/.test(functionName)) {
    return SOCKETS
  }
  if (/^(@adonisjs\/lucid|knex|pg|pg-.*|postgres-.*|tarn|lodash)$/.test(pkg)) {
    return DATABASE
  }
  if (
    /^(@adonisjs\/|@poppinss\/|@boringnode\/|emittery|cookie|@sindresorhus|debug|@vinejs|proxy-addr|qs|send|serve-static|on-finished|statuses|mime)/.test(
      pkg
    )
  ) {
    return FRAMEWORK
  }
  if (/^edge/.test(pkg)) {
    return 'Edge templates'
  }
  if (pkg === 'stripe') {
    return 'Stripe SDK (the sandbox over HTTP)'
  }
  if (pkg === 'luxon') {
    return 'dates (luxon)'
  }
  if (pkg === 'pg-boss') {
    return 'job queue (pg-boss)'
  }
  if (/^(app|start|config)(\/|$)/.test(pkg)) {
    return "the app's own code"
  }
  if (/^(node \(runtime\)|\(native\)|\(garbage collector\)|\(program\))$/.test(pkg)) {
    return RUNTIME
  }
  return 'other packages'
}

function labelOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url
    ? url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/build\//, '')
    : ''
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`
}

/**
 * `window`: only the samples taken that many ms after the profile began (the
 * measured run, not the boot and warm-up)
 */
export function summarize(
  profile: CpuProfile,
  top = 15,
  window?: { fromMs: number; toMs: number }
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node.id)
    }
  }
  const selfMicros = new Map<number, number>()
  let at = 0
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    at += delta
    if (!window || (at >= window.fromMs * 1000 && at <= window.toMs * 1000)) {
      selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta)
    }
  })

  let idle = 0
  let busy = 0
  const packages = new Map<string, number>()
  const categories = new Map<string, number>()
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)!
    if (node.callFrame.functionName === '(idle)') {
      idle += micros
      continue
    }
    busy += micros
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName)
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros)
    const category = categoryOf(pkg, node.callFrame.functionName)
    categories.set(category, (categories.get(category) ?? 0) + micros)
    const label = labelOf(node)
    self.set(label, (self.get(label) ?? 0) + micros)
    const seen = new Set<string>()
    for (
      let frameId: number | undefined = id;
      frameId !== undefined;
      frameId = parent.get(frameId)
    ) {
      const frame = byId.get(frameId)!
      if (!frame.callFrame.url) {
        continue
      }
      const name = labelOf(frame)
      if (!seen.has(name)) {
        seen.add(name)
        inclusive.set(name, (inclusive.get(name) ?? 0) + micros)
      }
    }
  }
  const ranked = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]): [string, number] => [name, micros / 1000])
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    byCategory: ranked(categories),
    byPackage: ranked(packages),
    selfTop: ranked(self),
    inclusiveTop: ranked(inclusive),
  }
}

/** The summary as Markdown, shares of the busy time */
export function formatSummary(title: string, summary: ProfileSummary, requests?: number): string {
  const share = (ms: number) => `${((ms / summary.busyMs) * 100).toFixed(1)}%`
  const perRequest = requests
    ? `, ${((summary.busyMs / requests) * 1000).toFixed(0)} µs of CPU per request (${requests} requests)`
    : ''
  const lines = [
    `#### ${title}`,
    '',
    `Busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s${perRequest}.`,
    '',
    '| self time by kind of work | share |',
    '|---|---|',
    ...summary.byCategory.map(([name, ms]) => `| ${name} | ${share(ms)} |`),
    '',
    '| self time by package | share |',
    '|---|---|',
    ...summary.byPackage.map(([name, ms]) => `| ${name} | ${share(ms)} |`),
    '',
    '| functions, self time | share |',
    '|---|---|',
    ...summary.selfTop.map(([name, ms]) => `| \`${name}\` | ${share(ms)} |`),
    '',
    '| functions, inclusive time | share |',
    '|---|---|',
    ...summary.inclusiveTop.map(([name, ms]) => `| \`${name}\` | ${share(ms)} |`),
    '',
  ]
  return lines.join('\n')
}

if (import.meta.filename === process.argv[1]) {
  for (const file of process.argv.slice(2)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
    console.log(formatSummary(file, summarize(profile, 25)))
  }
}
