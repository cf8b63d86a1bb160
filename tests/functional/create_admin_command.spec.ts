import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import User from '#models/user'
import UsersCreateAdmin from '#commands/users_create_admin'
import { truncateAllTables } from '#tests/helpers/database'

test.group('users:create-admin', (group) => {
  group.each.setup(async () => {
    await truncateAllTables()
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('creates an admin with the password typed at the prompt', async ({ assert }) => {
    const command = await ace.create(UsersCreateAdmin, ['Root@Example.com', '--name=Grace'])
    command.prompt
      .trap('Password (10+ characters, a letter and a digit)')
      .replyWith('cobol-1959-ok')
    await command.exec()

    command.assertSucceeded()
    command.assertLog('[ green(success) ] Admin root@example.com created')
    const admin = await User.findByOrFail('email', 'root@example.com')
    assert.equal(admin.role, 'admin')
    assert.equal(admin.fullName, 'Grace')
    assert.isTrue(await admin.verifyPassword('cobol-1959-ok'))
  })

  test('refuses a weak password and a taken email in one line', async ({ assert }) => {
    const weak = await ace.create(UsersCreateAdmin, ['root@example.com'])
    weak.prompt.trap('Password (10+ characters, a letter and a digit)').replyWith('short')
    await weak.exec()
    weak.assertFailed()
    weak.assertLogMatches(/The password must be at least 10 characters long/)
    assert.lengthOf(await User.all(), 0)

    const first = await ace.create(UsersCreateAdmin, ['root@example.com'])
    first.prompt.trap('Password (10+ characters, a letter and a digit)').replyWith('cobol-1959-ok')
    await first.exec()
    const again = await ace.create(UsersCreateAdmin, ['ROOT@example.com'])
    again.prompt.trap('Password (10+ characters, a letter and a digit)').replyWith('cobol-1959-ok')
    await again.exec()
    again.assertFailed()
    again.assertLogMatches(/This email is already registered/)
    assert.lengthOf(await User.all(), 1)
  })
})
