import { test } from '@japa/runner'
import vine from '@vinejs/vine'
import { isCommonPassword, newPassword } from '#validators/password'

test.group('New passwords', () => {
  test('the common-password list is the maintained one, compared without case', ({ assert }) => {
    for (const password of [
      'password',
      'password123',
      'PASSWORD123',
      'iloveyou123',
      'qwertyuiop',
    ]) {
      assert.isTrue(isCommonPassword(password), password)
    }
    for (const password of ['plumb-bob-7731', 'analytical-engine-1843']) {
      assert.isFalse(isCommonPassword(password), password)
    }
  })

  test('newPassword() is a rule other forms reuse: short, letterless and common are refused', async ({
    assert,
  }) => {
    const validator = vine.create({ password: newPassword() })
    for (const [password, rule] of [
      ['short1', 'minLength'],
      ['12345678901', 'regex'],
      ['Password123', 'password.common'],
      ['x'.repeat(120) + '1234567890', 'maxLength'],
    ]) {
      const [error] = await validator.tryValidate({ password })
      assert.equal((error?.messages as { rule: string }[] | undefined)?.[0]?.rule, rule, password)
    }
    const [error, valid] = await validator.tryValidate({ password: 'plumb-bob-7731' })
    assert.isNull(error)
    assert.equal(valid!.password, 'plumb-bob-7731')
  })
})
