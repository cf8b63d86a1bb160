import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { errors as vineErrors } from '@vinejs/vine'
import { canPrompt } from '#services/console_prompts'

/**
 * Admins never come from the public signup form. The password is asked for
 * (hidden) on a terminal, or read from ADMIN_PASSWORD when there is none, so
 * it never lands in shell history.
 */
export default class UsersCreateAdmin extends BaseCommand {
  static commandName = 'users:create-admin'
  static description = 'Create an admin account (admins run money operations from the console)'

  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Email address of the admin' })
  declare email: string

  @flags.string({ description: 'Full name', default: 'Crewpay admin' })
  declare name: string

  async run() {
    const password =
      process.env.ADMIN_PASSWORD ||
      (canPrompt(this)
        ? await this.prompt.secure('Password (10+ characters, a letter and a digit)')
        : '')

    // Imported here: validators need the booted app (Lucid's unique rule)
    const { adminValidator } = await import('#validators/auth')
    const { signUp } = await import('#actions/users/sign_up')
    try {
      const input = await adminValidator.validate({
        full_name: this.name,
        email: this.email,
        password,
      })
      const user = await signUp({ ...input, role: 'admin' })
      this.logger.success(`Admin ${user.email} created`)
    } catch (error) {
      if (error instanceof vineErrors.E_VALIDATION_ERROR) {
        const messages = (error.messages as { message: string }[]).map((m) => m.message)
        this.logger.error(messages.join(' '))
        this.exitCode = 1
        return
      }
      throw error
    }
  }
}
