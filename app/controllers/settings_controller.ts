import type { HttpContext } from '@adonisjs/core/http'
import { notificationSettingsValidator } from '#validators/auth'
import { canEndSessions, endSessions, sessionsOf } from '#services/sessions'

/** GET/POST /settings/notifications, POST /settings/sessions/logout-others */
export default class SettingsController {
  async show({ auth, session, view }: HttpContext) {
    const user = auth.getUserOrFail()
    const sessionsSupported = await canEndSessions()
    const sessions = await sessionsOf(user.id)
    const others = sessions.filter((id) => id !== session.sessionId)
    return view.render('pages/settings/notifications', {
      optionalMail: user.optionalMail,
      sessionsSupported,
      otherSessions: others.length,
    })
  }

  async update({ auth, request, session, response }: HttpContext) {
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
    return response.redirect('/settings/notifications')
  }

  async logoutOthers({ auth, session, response }: HttpContext) {
    const user = auth.getUserOrFail()
    if (!(await canEndSessions())) {
      session.flash('error', 'Other sessions cannot be ended with cookie sessions.')
      return response.redirect('/settings/notifications')
    }
    const ended = await endSessions(user.id, { except: session.sessionId })
    session.flash(
      'success',
      ended === 0 ? 'There was no other session.' : `Logged out of ${ended} other session(s).`
    )
    return response.redirect('/settings/notifications')
  }
}
