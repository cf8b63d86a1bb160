import { test } from '@japa/runner'
import { AmountError, formatAmount, parseAmount, toDecimalText } from '#money/amounts'
import { basisPointsToPercent, percentToBasisPoints, platformFee } from '#money/fees'

test.group('parseAmount', () => {
  test('reads {text} {currency} as {expected} minor units')
    .with([
      { text: '120.00', currency: 'usd', expected: 12000 },
      { text: '12.5', currency: 'usd', expected: 1250 },
      { text: '0.50', currency: 'usd', expected: 50 },
      { text: '1,250', currency: 'usd', expected: 125000 },
      { text: '1,250.75', currency: 'usd', expected: 125075 },
      { text: '  7 ', currency: 'eur', expected: 700 },
      { text: '1250', currency: 'jpy', expected: 1250 },
      { text: '1,250', currency: 'JPY', expected: 1250 },
      { text: '999999.99', currency: 'usd', expected: 99999999 },
      { text: '0', currency: 'usd', expected: 0 },
    ])
    .run(({ assert }, { text, currency, expected }) => {
      assert.strictEqual(parseAmount(text, currency), expected)
    })

  test('refuses {text} in {currency}: {message}')
    .with([
      { text: '-5', currency: 'usd', message: 'The amount cannot be negative.' },
      { text: '1.234', currency: 'usd', message: 'USD amounts have at most 2 decimals.' },
      { text: '12.5', currency: 'jpy', message: 'JPY has no decimals: write a whole number.' },
      { text: 'abc', currency: 'usd', message: '"abc" is not an amount (write it like 12.50).' },
      { text: '1,25', currency: 'usd', message: '"1,25" is not an amount (write it like 12.50).' },
      { text: '1e3', currency: 'usd', message: '"1e3" is not an amount (write it like 12.50).' },
      { text: '', currency: 'usd', message: 'Enter an amount.' },
      {
        text: '1000000.00',
        currency: 'usd',
        message: 'The amount is too large (at most $999,999.99).',
      },
      {
        text: '100000000',
        currency: 'jpy',
        message: 'The amount is too large (at most ¥99,999,999).',
      },
    ])
    .run(({ assert }, { text, currency, message }) => {
      assert.throws(() => parseAmount(text, currency), AmountError, message)
      assert.throws(() => parseAmount(text, currency), message)
    })
})

test.group('formatAmount', () => {
  test('formats {amount} {currency} as {expected}')
    .with([
      { amount: 125000, currency: 'usd', expected: '$1,250.00' },
      { amount: 5, currency: 'usd', expected: '$0.05' },
      { amount: -500, currency: 'usd', expected: '-$5.00' },
      { amount: 1250, currency: 'jpy', expected: '¥1,250' },
      { amount: 999, currency: 'eur', expected: '€9.99' },
      { amount: 0, currency: 'gbp', expected: '£0.00' },
    ])
    .run(({ assert }, { amount, currency, expected }) => {
      assert.equal(formatAmount(amount, currency), expected)
    })

  test('round-trips through decimal text', ({ assert }) => {
    for (const [amount, currency] of [
      [1, 'usd'],
      [99999999, 'usd'],
      [1250, 'jpy'],
      [100, 'eur'],
    ] as const) {
      assert.equal(parseAmount(toDecimalText(amount, currency), currency), amount)
    }
  })

  test('refuses non-integer amounts', ({ assert }) => {
    assert.throws(() => formatAmount(12.5, 'usd'), /integers in minor units/)
  })
})

test.group('platformFee', () => {
  test('{amount} at {basisPoints} bps + {fixed} → {expected}')
    .with([
      { amount: 10000, basisPoints: 1000, fixed: 0, expected: 1000 },
      // half a cent rounds up, just below half rounds down
      { amount: 5, basisPoints: 1000, fixed: 0, expected: 1 },
      { amount: 4, basisPoints: 1000, fixed: 0, expected: 0 },
      { amount: 1005, basisPoints: 1000, fixed: 0, expected: 101 },
      { amount: 1004, basisPoints: 1000, fixed: 0, expected: 100 },
      { amount: 12345, basisPoints: 1250, fixed: 30, expected: 1573 },
      // never above the amount, never negative
      { amount: 50, basisPoints: 1000, fixed: 100, expected: 50 },
      { amount: 1000, basisPoints: 10000, fixed: 0, expected: 1000 },
      { amount: 0, basisPoints: 1000, fixed: 30, expected: 0 },
      { amount: 1000, basisPoints: 0, fixed: -50, expected: 0 },
      // JPY: same rule in yen
      { amount: 1250, basisPoints: 1000, fixed: 0, expected: 125 },
      { amount: 99999999, basisPoints: 1000, fixed: 0, expected: 10000000 },
    ])
    .run(({ assert }, { amount, basisPoints, fixed, expected }) => {
      assert.strictEqual(platformFee(amount, { basisPoints, fixed }), expected)
    })

  test('a plan with a minimum and a maximum: {amount} → {expected}')
    .with([
      // 8% + $0.30, at least $1.00, at most $25.00 per line
      { amount: 500, expected: 100 },
      { amount: 1, expected: 1 },
      { amount: 8000, expected: 670 },
      { amount: 99999999, expected: 2500 },
      { amount: 30625, expected: 2480 },
      // 0.5 cent rounds up before the bounds apply
      { amount: 30632, expected: 2481 },
    ])
    .run(({ assert }, { amount, expected }) => {
      const plan = { basisPoints: 800, fixed: 30, minimum: 100, maximum: 2500 }
      assert.strictEqual(platformFee(amount, plan), expected)
    })

  test('writes basis points back as a percentage', ({ assert }) => {
    assert.equal(basisPointsToPercent(1000), '10%')
    assert.equal(basisPointsToPercent(1250), '12.5%')
    assert.equal(basisPointsToPercent(25), '0.25%')
    assert.equal(basisPointsToPercent(0), '0%')
  })

  test('converts percentages to basis points', ({ assert }) => {
    assert.equal(percentToBasisPoints('10'), 1000)
    assert.equal(percentToBasisPoints('12.5'), 1250)
    assert.equal(percentToBasisPoints('0.25'), 25)
    assert.equal(percentToBasisPoints('100'), 10000)
    assert.throws(() => percentToBasisPoints('100.01'), /cannot exceed 100/)
    assert.throws(() => percentToBasisPoints('-1'), /not a percentage/)
    assert.throws(() => percentToBasisPoints('1.234'), /not a percentage/)
  })
})
