import { test } from '@japa/runner'
import {
  allocate,
  contractorShareOfRefund,
  destinationRefundShare,
  proportionalShare,
} from '#money/shares'

test.group('proportionalShare', () => {
  test('{value} × {part} / {whole} rounds half up to {expected}')
    .with([
      { value: 10800, part: 4000, whole: 12000, expected: 3600 },
      // 800 × 400 / 1000 = 320 exactly (Stripe's example: refund 4.00 of 10.00, 8.00 transferred)
      { value: 800, part: 400, whole: 1000, expected: 320 },
      // 0.5 rounds up, just under rounds down
      { value: 1, part: 1, whole: 2, expected: 1 },
      { value: 1, part: 1, whole: 3, expected: 0 },
      { value: 2, part: 1, whole: 3, expected: 1 },
      // 1 cent
      { value: 1, part: 1, whole: 1, expected: 1 },
      // the largest amounts: 999,999.99 × 999,999.99 stays exact
      { value: 99999999, part: 99999999, whole: 99999999, expected: 99999999 },
      { value: 99999999, part: 1, whole: 99999999, expected: 1 },
      { value: 99999999, part: 50000000, whole: 99999999, expected: 50000000 },
      // nothing of nothing
      { value: 0, part: 10, whole: 100, expected: 0 },
      { value: 10, part: 0, whole: 100, expected: 0 },
      { value: 10, part: 10, whole: 0, expected: 0 },
    ])
    .run(({ assert }, { value, part, whole, expected }) => {
      assert.strictEqual(proportionalShare(value, part, whole), expected)
    })
})

test.group('allocate', () => {
  test('splits {total} over {weights} as {expected}')
    .with([
      { total: 100, weights: [1, 1, 1], expected: [34, 33, 33] },
      { total: 378, weights: [12000, 8500, 16000], expected: [124, 88, 166] },
      { total: 1, weights: [5, 5], expected: [1, 0] },
      { total: 0, weights: [5, 5], expected: [0, 0] },
      { total: 5, weights: [0, 0], expected: [0, 0] },
      { total: 7, weights: [3], expected: [7] },
      // zero-decimal currency: whole yen
      { total: 180, weights: [5000, 2500, 2500], expected: [90, 45, 45] },
    ])
    .run(({ assert }, { total, weights, expected }) => {
      const parts = allocate(total, weights)
      assert.deepEqual(parts, expected)
      if (weights.some((weight) => weight > 0)) {
        assert.equal(
          parts.reduce((sum, part) => sum + part, 0),
          total
        )
      }
    })

  test('always adds up to the total, for any weights', ({ assert }) => {
    let seed = 7
    const random = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % max
    }
    for (let round = 0; round < 500; round += 1) {
      const weights = Array.from({ length: 1 + random(6) }, () => 1 + random(100000))
      const total = random(100000)
      const parts = allocate(total, weights)
      assert.equal(
        parts.reduce((sum, part) => sum + part, 0),
        total
      )
      assert.isTrue(parts.every((part) => part >= 0))
    }
  })
})

test.group('contractorShareOfRefund (charge flow)', () => {
  test('a refund takes the contractor share of the line in proportion', ({ assert }) => {
    // $120.00 line, $108.00 paid out; refunding $40.00 takes back $36.00
    assert.equal(
      contractorShareOfRefund({
        lineAmount: 12000,
        paidOut: 10800,
        refundedBefore: 0,
        amount: 4000,
      }),
      3600
    )
  })

  test('many small partial refunds add up exactly to what was paid out', ({ assert }) => {
    for (const [lineAmount, paidOut, step] of [
      [9999, 8999, 1],
      [9999, 8999, 7],
      [12000, 10421, 333],
      [1, 1, 1],
      [99999999, 89999999, 9999999],
      [5000, 4500, 3],
    ]) {
      let refunded = 0
      let taken = 0
      while (refunded < lineAmount) {
        const amount = Math.min(step, lineAmount - refunded)
        const share = contractorShareOfRefund({
          lineAmount,
          paidOut,
          refundedBefore: refunded,
          amount,
        })
        assert.isAtLeast(share, 0)
        assert.isAtMost(share, amount)
        taken += share
        refunded += amount
        // At every point, within a unit of the exact proportion
        assert.isAtMost(Math.abs(taken - (paidOut * refunded) / lineAmount), 1)
      }
      assert.equal(taken, paidOut, `${lineAmount}/${paidOut} by ${step}`)
    }
  })
})

test.group('destinationRefundShare (hold flow, as Stripe computes it)', () => {
  const charge = {
    captured: 12000,
    refundable: 12000,
    transfer: { amount: 12000, left: 12000 },
    fee: { amount: 1200, left: 1200 },
    refunds: 0,
  }

  test('a partial refund reverses the transfer and refunds the fee in proportion', ({ assert }) => {
    const share = destinationRefundShare(charge, 3333, true)
    assert.deepEqual(share, {
      reversal: 3333,
      feeRefund: 333,
      owed: 3000,
      last: false,
      overreach: null,
    })
  })

  test('the refund of everything left settles the remainders', ({ assert }) => {
    const after = {
      ...charge,
      refundable: 8667,
      transfer: { amount: 12000, left: 8667 },
      fee: { amount: 1200, left: 867 },
      refunds: 1,
    }
    const share = destinationRefundShare(after, 8667, true)
    assert.deepEqual(share, {
      reversal: 8667,
      feeRefund: 867,
      owed: 7800,
      last: true,
      overreach: null,
    })
  })

  test('after refunds that took no share, the last one would overreach: the fair share is given', ({
    assert,
  }) => {
    // $60.00 refunded earlier without reversal: the transfer is whole, half is left to refund
    const after = { ...charge, refundable: 6000, refunds: 1 }
    const share = destinationRefundShare(after, 6000, true)
    assert.deepEqual(share, {
      reversal: 6000,
      feeRefund: 600,
      owed: 5400,
      last: true,
      overreach: { reversal: 12000, feeRefund: 1200 },
    })
  })

  test('keeping the fee: the contractor gives back the whole share, nothing of the fee', ({
    assert,
  }) => {
    const share = destinationRefundShare(charge, 6000, false)
    assert.deepEqual(share, {
      reversal: 6000,
      feeRefund: 0,
      owed: 6000,
      last: false,
      overreach: null,
    })
  })
})
