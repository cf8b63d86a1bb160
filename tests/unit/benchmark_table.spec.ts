import { test } from '@japa/runner'
import Stripe from 'stripe'
import { exactlyOnce, formatTable, median, medianFigures, ratio } from '../../benchmarks/table.js'
import { burstEvent, signature } from '../../benchmarks/measure.js'
import { formatSummary, summarize } from '../../benchmarks/profile.js'

test.group('Benchmark table', () => {
  test('medians of odd and even runs', ({ assert }) => {
    assert.equal(median([3, 1, 2]), 2)
    assert.equal(median([4, 1, 3, 2]), 2.5)
    assert.isNaN(median([]))
    assert.deepEqual(
      medianFigures([
        { rps: 100, p50: 10, p99: 90, errors: 0 },
        { rps: 300, p50: 30, p99: 10, errors: 2 },
        { rps: 200, p50: 20, p99: 50, errors: 1 },
      ]),
      { rps: 200, p50: 20, p99: 50, errors: 1 }
    )
  })

  test('each rate is a share of the static route of the same run', ({ assert }) => {
    assert.equal(ratio(814, 9648), '8.4%')
    assert.equal(ratio(4000, 9648), '41%')
    assert.equal(ratio(10, 0), '—')
    const table = formatTable(
      [
        { section: 'prod', what: 'static', figures: { rps: 2000, p50: 5, p99: 10, errors: 0 } },
        {
          section: 'prod',
          what: 'home',
          figures: { rps: 500, p50: 80, p99: 1200, errors: 3 },
          note: 'signed in',
        },
        { section: 'dev', what: 'static', figures: { rps: 1000, p50: 9, p99: 20, errors: 0 } },
        { section: 'memory', what: 'RSS', note: '100 → 120 MB' },
      ],
      2000
    )
    const lines = table.split('\n')
    assert.equal(lines[0], '| section | what | figures | ratio to static |')
    assert.equal(lines[2], '| prod | static | 2,000 req/s, p50 5 ms, p99 10 ms | 100% |')
    assert.equal(
      lines[3],
      '| prod | home | 500 req/s, p50 80 ms, p99 1,200 ms, 3 errors; signed in | 25% |'
    )
    assert.equal(lines[4], '| dev | static | 1,000 req/s, p50 9 ms, p99 20 ms | 50% |')
    assert.equal(lines[5], '| memory | RSS | 100 → 120 MB |  |')
  })

  test('the CPU the run took: the whole machine and the load generator', ({ assert }) => {
    const figures = medianFigures([
      { rps: 100, p50: 10, p99: 90, errors: 0, cpu: { machine: 0.9, loadGenerator: 0.3 } },
      { rps: 300, p50: 30, p99: 10, errors: 0, cpu: { machine: 1, loadGenerator: 0.5 } },
      { rps: 200, p50: 20, p99: 50, errors: 0, cpu: { machine: 0.95, loadGenerator: 0.4 } },
    ])
    assert.deepEqual(figures.cpu, { machine: 0.95, loadGenerator: 0.4 })
    const table = formatTable([{ section: 's', what: 'page', figures }], 400)
    assert.include(table, 'p99 50 ms; CPU 95% of the machine, autocannon 40% | 50% |')
  })

  test('a run where nothing answered says so', ({ assert }) => {
    const table = formatTable(
      [{ section: 's', what: 'page', figures: { rps: 0, p50: 0, p99: 0, errors: 0 } }],
      100
    )
    assert.include(table, '| s | page | no answer within the run | 0.0% |')
  })
})

test.group('Benchmark webhook burst', () => {
  test('exactly once: every acknowledged id stored, none twice, each applied once', ({
    assert,
  }) => {
    const good = {
      acknowledged: 90,
      stored: 90,
      storedRows: 90,
      sent: 90,
      applied: 90,
      appliedTwice: 0,
    }
    assert.isTrue(exactlyOnce(good).ok)
    assert.match(exactlyOnce(good).why, /^exactly once \(90 distinct ids sent/)
    assert.match(exactlyOnce({ ...good, stored: 88 }).why, /2 acknowledged events not stored/)
    assert.match(exactlyOnce({ ...good, storedRows: 91 }).why, /1 events stored twice/)
    assert.match(exactlyOnce({ ...good, applied: 80 }).why, /10 stored events not applied/)
    assert.match(exactlyOnce({ ...good, appliedTwice: 1 }).why, /1 events applied more than once/)
    assert.isFalse(exactlyOnce({ ...good, appliedTwice: 1 }).ok)
  })

  test('the burst mixes duplicates, unknown objects and unhandled types', ({ assert }) => {
    const events = Array.from({ length: 100 }, (_, n) => burstEvent('r', n, ['pi_1', 'pi_2']))
    const ids = new Set(events.map((event) => event.id))
    assert.isBelow(ids.size, events.length)
    assert.isAbove(ids.size, 80)
    const objects = events.map((event) => event.data.object.id)
    assert.isTrue(objects.some((id) => id.startsWith('pi_bench_unknown_')))
    assert.isTrue(objects.includes('pi_1'))
    assert.isTrue(events.some((event) => event.type === 'customer.updated'))
    // a resent event is the same event
    const byId = new Map(events.map((event) => [event.id, JSON.stringify(event)]))
    for (const event of events) {
      assert.equal(JSON.stringify(event), byId.get(event.id))
    }
  })

  test('events are signed as Stripe signs them', ({ assert }) => {
    const payload = JSON.stringify(burstEvent('r', 3, ['pi_1']))
    const stripe = new Stripe('sk_test_bench')
    const event = stripe.webhooks.constructEvent(payload, signature(payload, 'whsec_x'), 'whsec_x')
    assert.equal(event.id, 'evt_bench_r_3')
    assert.throws(() =>
      stripe.webhooks.constructEvent(payload, signature(payload, 'whsec_other'), 'whsec_x')
    )
  })
})

test.group('Benchmark profile summary', () => {
  /** root → handler (app) → query (knex) and writev; plus idle */
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 5] },
      {
        id: 2,
        callFrame: {
          functionName: 'show',
          url: 'file:///x/build/app/controllers/home.js',
          lineNumber: 3,
        },
        children: [3, 4],
      },
      {
        id: 3,
        callFrame: {
          functionName: 'toSQL',
          url: 'file:///x/node_modules/knex/lib/q.js',
          lineNumber: 9,
        },
      },
      { id: 4, callFrame: { functionName: 'writev', url: '', lineNumber: 0 } },
      { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: 0 } },
    ],
    // 1 ms steps: show, toSQL, toSQL, writev, idle, toSQL (the last outside a 4 ms window)
    samples: [2, 3, 3, 4, 5, 3],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  }

  test('self time by kind of work and package, inclusive by function, idle apart', ({ assert }) => {
    const all = summarize(profile)
    assert.equal(all.busyMs, 5)
    assert.equal(all.idleMs, 1)
    assert.deepEqual(all.byPackage[0], ['knex', 3])
    assert.match(all.byCategory[0][0], /^statements/)
    assert.equal(all.byCategory[0][1], 3)
    assert.equal(all.byCategory.find(([name]) => name.startsWith('socket writes'))?.[1], 1)
    // The handler includes what it called
    assert.deepEqual(all.inclusiveTop[0], ['show app/controllers/home.js:4', 5])
  })

  test('a window keeps only the measured run', ({ assert }) => {
    const measured = summarize(profile, 15, { fromMs: 2, toMs: 4 })
    // samples ending at 2, 3 and 4 ms: toSQL, toSQL, writev
    assert.equal(measured.busyMs, 3)
    assert.deepEqual(measured.byPackage[0], ['knex', 2])
    assert.include(formatSummary('home', measured, 3), '1000 µs of CPU per request (3 requests)')
  })
})
