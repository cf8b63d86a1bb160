import { test } from '@japa/runner'
import { Scheduler } from '../../stripe_sandbox/core/clock.js'
import { previousAttributes } from '../../stripe_sandbox/core/diff.js'
import { type StripeError } from '../../stripe_sandbox/core/errors.js'
import { parseMultipart, parseUrlEncoded, UploadedFile } from '../../stripe_sandbox/core/form.js'
import { arr, hash, int, meta, str, validateParams } from '../../stripe_sandbox/core/params.js'
import { cardFee, proportion } from '../../stripe_sandbox/money.js'

/* The sandbox's building blocks, tested directly at their edges. */

test.group('Sandbox core: form parsing', () => {
  test('nested, appended and indexed keys build one tree', ({ assert }) => {
    const tree = parseUrlEncoded(
      'a[b][c]=1&list[]=x&list[]=y&idx%5B1%5D=second&idx%5B0%5D=first&plus=a+b&empty='
    )
    assert.deepEqual(JSON.parse(JSON.stringify(tree)), {
      a: { b: { c: '1' } },
      list: { 0: 'x', 1: 'y' },
      idx: { 1: 'second', 0: 'first' },
      plus: 'a b',
      empty: '',
    })
    const params = validateParams(
      hash({
        a: hash({ b: hash({ c: int() }) }),
        list: arr(str()),
        idx: arr(str()),
        plus: str(),
        empty: str(),
      }),
      tree
    )
    assert.deepEqual(params, {
      a: { b: { c: 1 } },
      list: ['x', 'y'],
      idx: ['first', 'second'],
      plus: 'a b',
      empty: null,
    })
  })

  test('malformed percent-encoding is a 400, not a crash', ({ assert }) => {
    assert.throws(() => parseUrlEncoded('a=%E0%A4%A'), /Invalid URL encoding/)
  })

  test('multipart bodies as stripe-node sends them', ({ assert }) => {
    const boundary = 'b0undary'
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nidentity_document\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          'Content-Type: image/png\r\n\r\n'
      ),
      Buffer.from([0, 1, 2, 13, 10, 3]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    const tree = parseMultipart(body, `multipart/form-data; boundary=${boundary}`)
    assert.equal(tree.purpose, 'identity_document')
    const file = tree.file as UploadedFile
    assert.instanceOf(file, UploadedFile)
    assert.equal(file.filename, 'a.png')
    assert.equal(file.contentType, 'image/png')
    assert.deepEqual([...file.data], [0, 1, 2, 13, 10, 3])
  })
})

test.group('Sandbox core: parameter validation', () => {
  test('unknown, missing and mistyped parameters name the parameter', ({ assert }) => {
    const spec = hash({ amount: int(1), metadata: meta(), nested: hash({ x: str(['a', 'b']) }) }, [
      'amount',
    ])
    const fail = (query: string) => {
      try {
        validateParams(spec, parseUrlEncoded(query))
      } catch (error) {
        return (error as StripeError).body
      }
      throw new Error('expected a validation error')
    }
    assert.include(fail('amount=1&nested[y]=1'), { code: 'parameter_unknown', param: 'nested[y]' })
    assert.include(fail('metadata[a]=1'), { code: 'parameter_missing', param: 'amount' })
    assert.include(fail('amount='), { code: 'parameter_invalid_empty', param: 'amount' })
    assert.include(fail('amount=1.5'), { code: 'parameter_invalid_integer' })
    assert.include(fail('amount=0'), { code: 'parameter_invalid_integer' })
    assert.include(fail('amount=1&nested[x]=c'), { param: 'nested[x]' })
    assert.deepEqual(validateParams(spec, parseUrlEncoded('amount=5&metadata[k]=')), {
      amount: 5,
      metadata: { k: null },
    })
  })
})

test.group('Sandbox core: money arithmetic', () => {
  test('card fee: 2.9% rounded half up per charge, plus the fixed part', ({ assert }) => {
    assert.equal(cardFee(10000, 'usd'), 320)
    assert.equal(cardFee(1, 'usd'), 30)
    assert.equal(cardFee(17, 'usd'), 30) // 0.493 → 0
    assert.equal(cardFee(18, 'usd'), 31) // 0.522 → 1
    assert.equal(cardFee(50, 'usd'), 31) // 1.45 → 1
    assert.equal(cardFee(5000, 'usd'), 175) // 145 exactly
    assert.equal(cardFee(99_999_999, 'usd'), 2_900_030)
    assert.equal(cardFee(1000, 'jpy'), 36)
    assert.equal(cardFee(10000, 'eur'), 315)
    assert.equal(cardFee(10000, 'gbp'), 310)
  })

  test('proportional shares round half up and never exceed the whole', ({ assert }) => {
    assert.equal(proportion(800, 400, 1000), 320)
    assert.equal(proportion(1000, 4000, 10000), 400)
    assert.equal(proportion(1000, 1, 3), 333)
    assert.equal(proportion(1000, 2, 3), 667)
    assert.equal(proportion(1, 1, 2), 1)
    assert.equal(proportion(999_999_999_999, 999_999_999_999, 999_999_999_999), 999_999_999_999)
    assert.equal(proportion(5, 0, 0), 0)
  })
})

test.group('Sandbox core: scheduler and diffs', () => {
  test('jobs come out in due-time order, ties in scheduling order', ({ assert }) => {
    const scheduler = new Scheduler()
    const order = [50, 10, 30, 10, 20, 40, 10]
    order.forEach((due, i) => scheduler.schedule(due, 'job', { i }))
    const popped: Array<[number, unknown]> = []
    for (let job = scheduler.pop(); job; job = scheduler.pop()) {
      popped.push([job.due, job.data.i])
    }
    assert.deepEqual(popped, [
      [10, 1],
      [10, 3],
      [10, 6],
      [20, 4],
      [30, 2],
      [40, 5],
      [50, 0],
    ])
  })

  test('previous_attributes holds only what changed, nested hashes diffed', ({ assert }) => {
    const before = { a: 1, b: { c: 1, d: 2 }, list: [1], same: 'x' }
    const after = { a: 2, b: { c: 1, d: 3 }, list: [1, 2], same: 'x', added: true }
    assert.deepEqual(previousAttributes(before, after), {
      a: 1,
      b: { d: 2 },
      list: [1],
      added: null,
    })
    assert.isNull(previousAttributes(before, { ...before }))
  })
})
