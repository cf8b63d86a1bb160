import type { HttpContext } from '@adonisjs/core/http'
import { signupValidator } from '#validators/auth'
import { signUp } from '#actions/users/sign_up'
import { signupThrottle, tryAgainMessage } from '#services/auth_throttles'
import { tagSession } from '#services/sessions'
import { prefilledEmail } from '#validators/auth'

export default class SignupController {
  /** `?email=` and `?role=employer` fill the form in (a payment request's link sends guests here) */
  async create({ request, view }: HttpContext) {
    const qs = request.qs()
    return view.render('pages/auth/signup', {
      prefill: prefilledEmail(qs),
      prefillRole: qs.role === 'employer' || qs.role === 'contractor' ? qs.role : null,
    })
  }

  async store({ request, auth, session, response }: HttpContext) {
    const wait = await signupThrottle.attempt(request.ip())
    if (wait !== null) {
      session.flashExcept(['password', '_csrf'])
      session.flash('error', tryAgainMessage('Too many sign-up attempts from your network.', wait))
      return response.redirect().back()
    }

    const input = await request.validateUsing(signupValidator)
    const user = await signUp(input)
    await auth.use('web').login(user)
    await tagSession(session, user)
    // A new contractor starts with onboarding (Stripe must know them before they are paid)
    if (user.role === 'contractor') {
      session.flash(
        'success',
        `Welcome to Crewpay, ${user.fullName}. Four short steps and you can take orders.`
      )
      return response.redirect().toIntended('/onboarding')
    }
    session.flash('success', `Welcome to Crewpay, ${user.fullName}.`)
    // Back to the page that asked for an account (a payment link), else home
    return response.redirect().toIntended('/')
  }
}
