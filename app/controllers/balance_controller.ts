import type { HttpContext } from '@adonisjs/core/http'
import { balanceQueryValidator } from '#validators/onboarding'
import { loadBalance } from '#actions/balance/load_balance'

export default class BalanceController {
  async show({ auth, request, response, session, view }: HttpContext) {
    const [error, cursor] = await balanceQueryValidator.tryValidate(request.qs())
    if (error || (cursor.starting_after && cursor.ending_before)) {
      session.flash('error', 'That page link is not valid; here are your latest transactions.')
      return response.redirect('/balance')
    }
    const page = await loadBalance(auth.getUserOrFail(), cursor)
    return view.render('pages/balance/show', { page })
  }
}
