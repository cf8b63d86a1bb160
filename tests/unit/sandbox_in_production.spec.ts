import { test } from '@japa/runner'
import { sandboxRefusal } from '#providers/local_services_provider'

test.group('The Stripe sandbox in production', () => {
  test('production refuses the sandbox unless told it is a benchmark', ({ assert }) => {
    assert.match(sandboxRefusal(true, undefined)!, /STRIPE_SECRET_KEY is required in production/)
    assert.match(sandboxRefusal(true, '')!, /STRIPE_SECRET_KEY is required/)
    assert.match(sandboxRefusal(true, 'true')!, /STRIPE_SECRET_KEY is required/)
    assert.isNull(sandboxRefusal(true, 'benchmark'))
  })

  test('development and tests always use the sandbox when there is no key', ({ assert }) => {
    assert.isNull(sandboxRefusal(false, undefined))
    assert.isNull(sandboxRefusal(false, 'benchmark'))
  })
})
