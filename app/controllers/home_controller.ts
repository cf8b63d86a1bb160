import type { HttpContext } from '@adonisjs/core/http'
import { employerHome } from '#actions/home/employer_home'
import { contractorHome } from '#actions/home/contractor_home'
import { CONSOLE_COMMAND_GROUPS } from '#domain/console_commands'

/**
 * GET /: the marketing page for guests; for a logged-in user, the home of
 * their role (what needs them first).
 */
export default class HomeController {
  async show({ auth, view }: HttpContext) {
    const user = auth.user
    if (!user) {
      return view.render('pages/home')
    }
    switch (user.role) {
      case 'employer':
        return view.render('pages/home/employer', { home: await employerHome(user) })
      case 'contractor':
        return view.render('pages/home/contractor', { home: await contractorHome(user) })
      case 'admin':
        return view.render('pages/home/admin', { groups: CONSOLE_COMMAND_GROUPS })
    }
  }
}
