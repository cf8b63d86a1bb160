import type { HttpContext } from '@adonisjs/core/http'
import { notificationSettingsValidator } from '#validators/auth'
import {
  deleteAccountValidator,
  emailChangeValidator,
  passwordChangeValidator,
  profileValidator,
} from '#validators/settings'
import hash from '@adonisjs/core/services/hash'
import { canEndSessions, endSessions, sessionsOf } from '#services/sessions'
import { displayZone, timeZoneNames } from '#services/time_zone'
import { errors as vineErrors } from '@vinejs/vine'
import type User from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import {
  confirmEmailChange,
  pendingEmailChange,
  requestEmailChange,
  EMAIL_CHANGE_HOURS,
} from '#actions/users/change_email'
import { changePassword } from '#actions/users/change_password'
import { deleteAccount, deletionBlockers } from '#actions/users/delete_account'

/** Every form of the settings page comes back here (its message on top) */
const SETTINGS = '/settings'

/** Never kept in the session to refill a form */
const SECRET_FIELDS = [
  '_csrf',
  '_method',
  'password',
  'current_password',
  'password_for_email',
  'password_for_delete',
]

/**
 * Runs one form: a validation error goes back to the page, inline, with
 * what was typed except the passwords (the default would keep these).
 */
async function settingsForm(ctx: HttpContext, work: () => Promise<unknown>) {
  try {
    return await work()
  } catch (error) {
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      ctx.session.flashValidationErrors(error, false)
      ctx.session.flashExcept(SECRET_FIELDS)
      return ctx.response.redirect().back()
    }
    throw error
  }
}

/** A wrong current password is an error on its field, inline in its form */
async function assertPassword(user: User, password: string, field: string) {
  if (!(await hash.verify(user.password, password))) {
    throw new vineErrors.E_VALIDATION_ERROR([
      {
        field,
        rule: 'current_password',
        message: 'This is not your current password, so nothing was changed.',
      },
    ])
  }
}

/**
 * GET /settings and its forms: name and time zone, email (confirmed by a
 * link mailed to the new address), password, notification choices, other
 * sessions, deleting the account.
 */
export default class SettingsController {
  async show({ auth, session, view }: HttpContext) {
    const user = auth.getUserOrFail()
    const sessionsSupported = await canEndSessions()
    const sessions = await sessionsOf(user.id)
    const others = sessions.filter((id) => id !== session.sessionId)
    const [pendingEmail, blockers] = await Promise.all([
      pendingEmailChange(user),
      deletionBlockers(user),
    ])
    return view.render('pages/settings/show', {
      optionalMail: user.optionalMail,
      sessionsSupported,
      otherSessions: others.length,
      pendingEmail,
      timeZones: timeZoneNames(user.timeZone),
      currentZone: displayZone(),
      deletionBlockers: blockers,
    })
  }

  /** The old address of the notification settings: now a section of /settings */
  async notifications({ response }: HttpContext) {
    return response.redirect(SETTINGS)
  }

  async updateProfile(ctx: HttpContext) {
    return settingsForm(ctx, async () => {
      const { auth, request, session, response } = ctx
      const user = auth.getUserOrFail()
      const input = await request.validateUsing(profileValidator)
      user.merge({ fullName: input.full_name, timeZone: input.time_zone })
      await user.save()
      session.flash('success', `Saved. Times are now shown in ${user.timeZone}.`)
      return response.redirect(SETTINGS)
    })
  }

  async requestEmail(ctx: HttpContext) {
    return settingsForm(ctx, async () => {
      const { auth, request, session, response } = ctx
      const user = auth.getUserOrFail()
      const input = await request.validateUsing(emailChangeValidator)
      await assertPassword(user, input.password_for_email, 'password_for_email')
      const { email } = await requestEmailChange(user, input.email).catch((error) => {
        // "Already yours", "used by another account": said beside the field
        if (error instanceof DomainError) {
          throw new vineErrors.E_VALIDATION_ERROR([
            { field: 'email', rule: 'email.available', message: error.message },
          ])
        }
        throw error
      })
      session.flash(
        'success',
        `We sent a link to ${email}. Open it within ${EMAIL_CHANGE_HOURS} hours to start using that address; until then, ${user.email} stays your email.`
      )
      return response.redirect(SETTINGS)
    })
  }

  /** GET /settings/email/confirm/:token: the link from the mail (works logged out too) */
  async confirmEmail({ auth, params, session, response }: HttpContext) {
    const user = await confirmEmailChange(String(params.token))
    if (!user) {
      session.flash(
        'error',
        'This link does not work any more: it was used, replaced by a newer one, or is more than ' +
          `${EMAIL_CHANGE_HOURS} hours old. Ask for a new one in your settings.`
      )
      return response.redirect(auth.user ? SETTINGS : '/login')
    }
    session.flash('success', `Your email is now ${user.email}.`)
    return response.redirect(auth.user?.id === user.id ? SETTINGS : '/login')
  }

  async updatePassword(ctx: HttpContext) {
    return settingsForm(ctx, async () => {
      const { auth, request, session, response } = ctx
      const user = auth.getUserOrFail()
      const input = await request.validateUsing(passwordChangeValidator)
      const ended = await changePassword(user, {
        currentPassword: input.current_password,
        newPassword: input.password,
        ip: request.ip(),
        sessionId: session.sessionId,
      })
      session.flash(
        'success',
        ended > 0
          ? `Password changed. You were logged out everywhere else (${ended} other session${ended === 1 ? '' : 's'}).`
          : 'Password changed.'
      )
      return response.redirect(SETTINGS)
    })
  }

  async update(ctx: HttpContext) {
    return settingsForm(ctx, async () => {
      const { auth, request, session, response } = ctx
      const user = auth.getUserOrFail()
      const { optional_mail: optionalMail } = await request.validateUsing(
        notificationSettingsValidator
      )
      user.optionalMail = Boolean(optionalMail)
      await user.save()
      session.flash(
        'success',
        user.optionalMail
          ? 'Saved: you receive optional email.'
          : 'Saved: you receive only the email about payments, your actions and security.'
      )
      return response.redirect(SETTINGS)
    })
  }

  async logoutOthers({ auth, session, response }: HttpContext) {
    const user = auth.getUserOrFail()
    if (!(await canEndSessions())) {
      session.flash('error', 'Other sessions cannot be ended with cookie sessions.')
      return response.redirect(SETTINGS)
    }
    const ended = await endSessions(user.id, { except: session.sessionId })
    session.flash(
      'success',
      ended === 0 ? 'There was no other session.' : `Logged out of ${ended} other session(s).`
    )
    return response.redirect(SETTINGS)
  }

  async destroy(ctx: HttpContext) {
    return settingsForm(ctx, async () => {
      const { auth, request, session, response } = ctx
      const user = auth.getUserOrFail()
      const input = await request.validateUsing(deleteAccountValidator)
      await assertPassword(user, input.password_for_delete, 'password_for_delete')
      await deleteAccount(user)
      await auth.use('web').logout()
      session.clear()
      session.regenerate()
      session.flash(
        'success',
        'Your account was deleted. We sent a confirmation to your old address.'
      )
      return response.redirect('/')
    })
  }
}
