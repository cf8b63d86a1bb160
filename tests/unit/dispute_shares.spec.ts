import { test } from '@japa/runner'
import {
  contractorDisputeShare,
  disputeFeeShares,
  disputedParts,
  requestDisputeShare,
  type LineForDispute,
} from '#money/dispute_shares'
import { DISPUTE_REQUESTS, DISPUTE_STATES, DISPUTE_STATUSES, disputeVerbTo } from '#models/dispute'

const line = (id: number, amount: number, extra: Partial<LineForDispute> = {}): LineForDispute => ({
  id,
  amount,
  refunded: 0,
  paid: true,
  closed: false,
  ...extra,
})

function parts(amount: number, lines: LineForDispute[]) {
  return Object.fromEntries(disputedParts(amount, lines))
}

test.group('disputedParts: which lines a dispute concerns', () => {
  test('one line (the hold flow): the disputed amount, at most what is left of it', ({
    assert,
  }) => {
    assert.deepEqual(parts(12000, [line(1, 12000)]), { 1: 12000 })
    assert.deepEqual(parts(5000, [line(1, 12000)]), { 1: 5000 })
    // Refunded $40.00, disputed in full: only what is left is on the line
    assert.deepEqual(parts(12000, [line(1, 12000, { refunded: 4000 })]), { 1: 8000 })
  })

  test('paid lines first, in proportion to what is left of them, adding up to the cent', ({
    assert,
  }) => {
    const lines = [line(1, 7000), line(2, 5000, { paid: false }), line(3, 3000)]
    // $50.00 on the paid lines (7000 : 3000): 3500 and 1500
    assert.deepEqual(parts(5000, lines), { 1: 3500, 3: 1500 })
    // 1001 cents over 7000 : 3000 → 700.7 and 300.3: the remainder goes to the larger fraction
    assert.deepEqual(parts(1001, lines), { 1: 701, 3: 300 })
    // More than the paid lines: the rest on the line not paid out yet
    assert.deepEqual(parts(12000, lines), { 1: 7000, 3: 3000, 2: 2000 })
    // The whole charge and more: each line at most what is left of it
    assert.deepEqual(parts(20000, lines), { 1: 7000, 3: 3000, 2: 5000 })
  })

  test('declined, canceled and fully refunded lines are not concerned', ({ assert }) => {
    const lines = [
      line(1, 7000, { closed: true, paid: false, refunded: 7000 }),
      line(2, 5000, { refunded: 5000 }),
      line(3, 3000, { refunded: 1000 }),
    ]
    assert.deepEqual(parts(9000, lines), { 3: 2000 })
    assert.deepEqual(parts(0, lines), {})
  })
})

test.group('contractorDisputeShare: what reached the contractor', () => {
  test('{part} of {amount}, {paidOut} paid out → {expected}')
    .with([
      // Hold flow: $120.00 captured, $108.00 reached the contractor
      { part: 12000, amount: 12000, paidOut: 10800, expected: 10800 },
      { part: 5000, amount: 12000, paidOut: 10800, expected: 4500 },
      // Charge flow: half of a $70.00 line whose transfer was $63.00
      { part: 3500, amount: 7000, paidOut: 6300, expected: 3150 },
      // 1 cent of $3.00 with $2.71 paid out: 0.903 → 1
      { part: 1, amount: 300, paidOut: 271, expected: 1 },
      // Half up: 0.5 → 1
      { part: 1, amount: 2, paidOut: 1, expected: 1 },
      // Never more than was paid out
      { part: 9000, amount: 7000, paidOut: 6300, expected: 6300 },
    ])
    .run(({ assert }, { part, amount, paidOut, expected }) => {
      assert.equal(contractorDisputeShare({ part, amount, paidOut }), expected)
    })

  test('the dispute fee splits in proportion to the parts, to the cent', ({ assert }) => {
    const shares = disputeFeeShares(
      1500,
      new Map([
        [1, 7000],
        [2, 2000],
        [3, 1],
      ])
    )
    assert.deepEqual(Object.fromEntries(shares), { 1: 1167, 2: 333, 3: 0 })
    assert.equal(
      [...shares.values()].reduce((sum, share) => sum + share, 0),
      1500
    )
  })
})

test.group('DISPUTE_STATES: forward only', () => {
  test('Stripe moves a dispute forward; nothing moves it back', ({ assert }) => {
    assert.equal(DISPUTE_STATES.target('needs_response', 'review'), 'under_review')
    assert.equal(DISPUTE_STATES.target('warning_needs_response', 'escalate'), 'needs_response')
    assert.equal(DISPUTE_STATES.target('under_review', 'win'), 'won')
    for (const closed of ['won', 'warning_closed', 'prevented'] as const) {
      for (const status of DISPUTE_STATUSES) {
        const verb = disputeVerbTo(status)
        if (verb) {
          assert.isFalse(DISPUTE_STATES.can(closed, verb, 'stripe'), `${closed} → ${status}`)
        }
      }
    }
    assert.isFalse(DISPUTE_STATES.can('under_review', 'escalate', 'stripe'))
    assert.isFalse(DISPUTE_STATES.can('needs_response', 'review', 'admin'))
    assert.isNull(disputeVerbTo('some_future_status'))
  })

  test('an admin answers a dispute only while it waits for a response', ({ assert }) => {
    for (const status of DISPUTE_STATUSES) {
      const open = status === 'needs_response' || status === 'warning_needs_response'
      for (const request of ['stage', 'submit', 'accept'] as const) {
        assert.equal(DISPUTE_REQUESTS.can(status, request, 'admin'), open, `${status} ${request}`)
        assert.isFalse(DISPUTE_REQUESTS.can(status, request, 'employer'))
      }
    }
    assert.throws(
      () => DISPUTE_REQUESTS.next('under_review', 'submit', 'admin', 'dispute #3'),
      'Cannot submit dispute #3: it is under review: its evidence was submitted.'
    )
  })
})

test.group('requestDisputeShare: a payment request payment disputed', () => {
  const share = (disputed: number, captured: number, applicationFee: number, refunded = 0) =>
    requestDisputeShare({ disputed, captured, refunded, applicationFee })

  test('disputed in full: the contractor gives back all they received, the platform bears its fee', ({
    assert,
  }) => {
    // $400.00 paid, fee 12.5% + $0.30 = $50.30: the contractor received $349.70
    assert.deepEqual(share(40000, 40000, 5030), { part: 40000, share: 34970 })
  })

  test('disputed in part: the same proportion of what they received, rounded half up', ({
    assert,
  }) => {
    // $100.00 of $400.00: 34970 × 1/4 = 8742.5 → 8743
    assert.deepEqual(share(10000, 40000, 5030), { part: 10000, share: 8743 })
    // $0.01 of $400.00: 0.874… → 1
    assert.deepEqual(share(1, 40000, 5030), { part: 1, share: 1 })
  })

  test('after a partial refund: only what is left of the payment is concerned', ({ assert }) => {
    // $100.00 refunded, then the whole $400.00 disputed: $300.00 is theirs to answer for
    assert.deepEqual(share(40000, 40000, 5030, 10000), { part: 30000, share: 26228 })
    // Fully refunded: nothing is concerned
    assert.deepEqual(share(40000, 40000, 5030, 40000), { part: 0, share: 0 })
    // A partial dispute below what is left is unchanged by the refund
    assert.deepEqual(share(10000, 40000, 5030, 10000), { part: 10000, share: 8743 })
  })

  test('a zero-decimal currency: whole yen, half up', ({ assert }) => {
    // ¥4,001 paid, fee ¥530: the contractor received ¥3,471
    assert.deepEqual(share(4001, 4001, 530), { part: 4001, share: 3471 })
    // ¥2,000 of it: 3471 × 2000 / 4001 = 1735.07 → 1735
    assert.deepEqual(share(2000, 4001, 530), { part: 2000, share: 1735 })
  })

  test('one-cent amounts and edges: never more than was received, never negative', ({ assert }) => {
    // A 1-cent payment, all of it the fee: nothing reached the contractor
    assert.deepEqual(share(1, 1, 1), { part: 1, share: 0 })
    // A 1-cent payment with no fee: that cent
    assert.deepEqual(share(1, 1, 0), { part: 1, share: 1 })
    // A dispute bigger than the payment (an issuer bundling charges): capped at the payment
    assert.deepEqual(share(60000, 40000, 5030), { part: 40000, share: 34970 })
    // A fee above the charge (a bad record): nothing is taken
    assert.deepEqual(share(100, 100, 150), { part: 100, share: 0 })
    assert.deepEqual(share(0, 40000, 5030), { part: 0, share: 0 })
    assert.deepEqual(share(-5, 40000, 5030), { part: 0, share: 0 })
  })
})
