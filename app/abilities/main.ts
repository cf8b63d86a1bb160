/*
|--------------------------------------------------------------------------
| Bouncer abilities
|--------------------------------------------------------------------------
*/
import { Bouncer } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Only contractors onboard and have a Stripe balance */
export const manageOwnPayouts = Bouncer.ability((user: User) => user.role === 'contractor')
