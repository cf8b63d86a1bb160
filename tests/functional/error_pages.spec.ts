import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'

test.group('Error pages', () => {
  test('an unknown page is a friendly 404', async ({ client, assert }) => {
    const response = await client.get('/no/such/page')

    response.assertStatus(404)
    response.assertTextIncludes('Page not found')
    response.assertTextIncludes('href="/signup"')
    assert.notInclude(response.text(), 'E_ROUTE_NOT_FOUND')
  })

  test('a crash is a 500 page that leaks nothing', async ({ assert }) => {
    const ctx = await testUtils.createHttpContext()
    const { default: HttpExceptionHandler } = await import('#exceptions/handler')
    const handler = new HttpExceptionHandler()

    await handler.handle(new Error('connection string postgres://secret@db/crewpay'), ctx)

    const html = String(ctx.response.getBody())
    assert.equal(ctx.response.getStatus(), 500)
    assert.include(html, 'Something went wrong')
    assert.notInclude(html, 'secret')
    assert.notInclude(html, 'handler.ts')
  })
})
